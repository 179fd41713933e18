"""URL map: web pages and the JSON API under /api/."""

from django.contrib.auth import views as auth_views
from django.contrib.staticfiles.views import serve as static_serve
from django.urls import path, re_path

from gvhdtrial.web.api import api
from gvhdtrial.web.audit import views as audit
from gvhdtrial.web.capture import views as capture
from gvhdtrial.web.crf import views as crf
from gvhdtrial.web.lock import views as lock
from gvhdtrial.web.patients import views as patients
from gvhdtrial.web.queries import views as queries
from gvhdtrial.web.randomization import views as randomization
from gvhdtrial.web.sites import views as sites
from gvhdtrial.web.supply import views as supply
from gvhdtrial.web.unblinding import views as unblinding

urlpatterns = [
    path("", sites.home, name="home"),
    path("login/", auth_views.LoginView.as_view(template_name="web/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", sites.password_change, name="password_change"),
    path("users/", sites.users, name="users"),
    path("language/", sites.set_language, name="set_language"),
    path("users/<int:user_id>/role/", sites.user_role, name="user_role"),
    path("users/<int:user_id>/active/", sites.user_active, name="user_active"),
    path("users/<int:user_id>/tokens/", sites.token_create, name="token_create"),
    path("tokens/<int:token_id>/revoke/", sites.token_revoke, name="token_revoke"),
    path("patients/", patients.patient_list, name="patients"),
    path("patients/new/", patients.patient_new, name="patient_new"),
    path("patients/<int:patient_id>/", patients.patient_detail, name="patient"),
    path("patients/<int:patient_id>/consent/", patients.patient_consent, name="patient_consent"),
    path(
        "patients/<int:patient_id>/randomize/", patients.patient_randomize, name="patient_randomize"
    ),
    path("patients/<int:patient_id>/dispense/", patients.patient_dispense, name="patient_dispense"),
    path("patients/<int:patient_id>/unblind/", patients.patient_unblind, name="patient_unblind"),
    path("randomization/schedule/", randomization.schedule, name="schedule"),
    path("randomization/schedule.csv", randomization.schedule_csv, name="schedule_csv"),
    path("randomization/schedule.meta.json", randomization.schedule_meta, name="schedule_meta"),
    path("supply/", supply.stock, name="stock"),
    path("supply/kits/", supply.kit_list, name="kits"),
    path("supply/kits/<str:tracking_number>/", supply.kit_detail, name="kit"),
    path("unblinding/", unblinding.unblinding_log, name="unblinding_log"),
    path("unblinding/trial/", unblinding.trial_unblinding, name="trial_unblinding"),
    path("notifications/", unblinding.notifications, name="notifications"),
    path(
        "notifications/<int:notification_id>/",
        unblinding.notification_open,
        name="notification_open",
    ),
    path("audit/", audit.audit_list, name="audit"),
    path("audit/verify/", audit.audit_verify, name="audit_verify"),
    path("lock/", lock.lock_page, name="lock"),
    path("review/", capture.data_review, name="data_review"),
    path("exports/", capture.exports, name="exports"),
    path("report/", capture.analysis_report, name="analysis_report"),
    # case report forms, visit calendar, queries (issue 7)
    path("patients/<int:patient_id>/crf/", crf.crf_patient, name="crf_patient"),
    path("patients/<int:patient_id>/crf/<slug:form>/", crf.crf_form, name="crf_form"),
    path("patients/<int:patient_id>/crf/<slug:form>/<int:row_id>/", crf.crf_row, name="crf_row"),
    path(
        "patients/<int:patient_id>/crf/<slug:form>/<int:row_id>/verify/",
        crf.crf_verify,
        name="crf_verify",
    ),
    path("patients/<int:patient_id>/response/<slug:visit>/", crf.crf_response, name="crf_response"),
    path("patients/<int:patient_id>/casebook/", crf.crf_casebook, name="crf_casebook"),
    path("patients/<int:patient_id>/calendar/", crf.crf_calendar, name="crf_calendar"),
    path("patients/<int:patient_id>/queries/", queries.patient_queries, name="patient_queries"),
    path("visits/", crf.site_visits, name="site_visits"),
    path("records/", crf.record_status, name="record_status"),
    path("safety/sae/", crf.sae_log, name="sae_log"),
    path("queries/", queries.query_list, name="queries"),
    path("queries/<int:query_id>/", queries.query_detail, name="query"),
    path("api/", api.urls),
    re_path(r"^static/(?P<path>.*)$", static_serve, {"insecure": True}),
]
