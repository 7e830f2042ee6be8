"""UI routes."""

from django.contrib.auth import views as auth_views
from django.urls import path

from frontend import (
    views,
    views_accounts,
    views_annotations,
    views_assets,
    views_cases,
    views_clusters,
    views_ingest,
    views_search,
)

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("health/", views.health, name="health"),
    path("health/live/", views.live, name="live"),
    path("clusters/", views_clusters.queue, name="clusters"),
    path("clusters/<str:key>/", views_clusters.cluster_detail, name="cluster"),
    path("clusters/<str:key>/members.csv", views_clusters.members_csv, name="cluster-members-csv"),
    path("account/<path:account_id>/", views_accounts.account_detail, name="account"),
    path("entity/<str:kind>/<path:entity_id>/", views_accounts.entity_detail, name="entity"),
    path("search/", views_search.search_view, name="search"),
    path("annotations/", views_annotations.annotation_create, name="annotate"),
    path("assets/plotly-<str:version>.min.js", views_assets.plotly_js, name="plotly-js"),
    path("cases/", views_cases.case_list, name="cases"),
    path("cases/new/", views_cases.case_new, name="case-new"),
    path("cases/add/", views_cases.case_add_evidence, name="case-add-evidence"),
    path("cases/propose/", views_cases.case_propose, name="case-propose"),
    path("cases/proposals/", views_cases.proposal_list, name="case-proposals"),
    path("cases/proposals/<int:pk>/decide/", views_cases.proposal_decide, name="case-proposal-decide"),
    path("cases/bulk-assign/", views_cases.case_bulk_assign, name="case-bulk-assign"),
    path("cases/audit/", views_cases.audit_log, name="case-audit"),
    path("cases/<int:pk>/", views_cases.case_detail, name="case"),
    path("cases/<int:pk>/transition/", views_cases.case_transition, name="case-transition"),
    path("cases/<int:pk>/assign/", views_cases.case_assign, name="case-assign"),
    path("cases/<int:pk>/edit/", views_cases.case_edit, name="case-edit"),
    path("cases/<int:pk>/comments/", views_cases.case_comment, name="case-comment"),
    path("cases/<int:pk>/tasks/", views_cases.case_task_add, name="case-task-add"),
    path("cases/<int:pk>/tasks/<int:task_id>/", views_cases.case_task_done, name="case-task-done"),
    path("cases/<int:pk>/attachments/", views_cases.case_attach, name="case-attach"),
    path(
        "cases/<int:pk>/attachments/<int:attachment_id>/", views_cases.case_attachment, name="case-attachment"
    ),
    path("cases/<int:pk>/alerts/<int:alert_id>/ack/", views_cases.case_alert_ack, name="case-alert-ack"),
    path("cases/<int:pk>/export/<str:fmt>/", views_cases.case_export, name="case-export"),
    path("ingest/", views_ingest.ingest_jobs, name="ingest-jobs"),
    path("ingest/start/", views_ingest.ingest_start, name="ingest-start"),
    path("ingest/jobs/<int:pk>/", views_ingest.ingest_job, name="ingest-job"),
    path(
        "ingest/jobs/<int:pk>/quarantine.csv",
        views_ingest.ingest_job_quarantine,
        name="ingest-job-quarantine",
    ),
    path("ingest/jobs/<int:pk>/retry/", views_ingest.ingest_job_retry, name="ingest-job-retry"),
    path("ingest/schedules/", views_ingest.schedule_create, name="ingest-schedule-create"),
    path("ingest/schedules/<int:pk>/toggle/", views_ingest.schedule_toggle, name="ingest-schedule-toggle"),
    path("ingest/schedules/<int:pk>/delete/", views_ingest.schedule_delete, name="ingest-schedule-delete"),
]
