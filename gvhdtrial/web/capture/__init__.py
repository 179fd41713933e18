"""Electronic data capture, data layer: the CRF tables of :data:`gvhdtrial.data.TABLES` as
Django models, import of a trial data folder, export to one, and the export log.

Every field is built from the one data model (:mod:`gvhdtrial.data.model`) by
:func:`gvhdtrial.web.capture.fields.crf_field`; :data:`gvhdtrial.web.capture.mapping.LOCATIONS`
says where each column of each table lives in the service's database.
"""
