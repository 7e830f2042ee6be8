"""UI routes."""

from django.contrib.auth import views as auth_views
from django.urls import path

from frontend.views import accounts, annotations, assets, cases, clusters, explorer, ingest, search, site

urlpatterns = [
    path("", site.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("health/", site.health, name="health"),
    path("health/live/", site.live, name="live"),
    path("clusters/", clusters.queue, name="clusters"),
    path("clusters/<str:key>/", clusters.cluster_detail, name="cluster"),
    path("clusters/<str:key>/members.csv", clusters.members_csv, name="cluster-members-csv"),
    path("account/<path:account_id>/", accounts.account_detail, name="account"),
    path("entity/<str:kind>/<path:entity_id>/", accounts.entity_detail, name="entity"),
    path("explore/clusters/<str:key>/", explorer.explore_cluster, name="explore-cluster"),
    path("explore/accounts/<path:account_id>/", explorer.explore_account, name="explore-account"),
    path("explore/entities/<str:kind>/<path:entity_id>/", explorer.explore_entity, name="explore-entity"),
    path("explore/views/<int:pk>/", explorer.explore_view, name="explore-view"),
    path("search/", search.search_view, name="search"),
    path("annotations/", annotations.annotation_create, name="annotate"),
    path("assets/plotly-<str:version>.min.js", assets.plotly_js, name="plotly-js"),
    path("cases/", cases.case_list, name="cases"),
    path("cases/new/", cases.case_new, name="case-new"),
    path("cases/add/", cases.case_add_evidence, name="case-add-evidence"),
    path("cases/propose/", cases.case_propose, name="case-propose"),
    path("cases/proposals/", cases.proposal_list, name="case-proposals"),
    path("cases/proposals/<int:pk>/decide/", cases.proposal_decide, name="case-proposal-decide"),
    path("cases/bulk-assign/", cases.case_bulk_assign, name="case-bulk-assign"),
    path("cases/audit/", cases.audit_log, name="case-audit"),
    path("cases/<int:pk>/", cases.case_detail, name="case"),
    path("cases/<int:pk>/transition/", cases.case_transition, name="case-transition"),
    path("cases/<int:pk>/assign/", cases.case_assign, name="case-assign"),
    path("cases/<int:pk>/edit/", cases.case_edit, name="case-edit"),
    path("cases/<int:pk>/comments/", cases.case_comment, name="case-comment"),
    path("cases/<int:pk>/tasks/", cases.case_task_add, name="case-task-add"),
    path("cases/<int:pk>/tasks/<int:task_id>/", cases.case_task_done, name="case-task-done"),
    path("cases/<int:pk>/attachments/", cases.case_attach, name="case-attach"),
    path(
        "cases/<int:pk>/attachments/<int:attachment_id>/", cases.case_attachment, name="case-attachment"
    ),
    path("cases/<int:pk>/alerts/<int:alert_id>/ack/", cases.case_alert_ack, name="case-alert-ack"),
    path("cases/<int:pk>/export/<str:fmt>/", cases.case_export, name="case-export"),
    path("ingest/", ingest.ingest_jobs, name="ingest-jobs"),
    path("ingest/start/", ingest.ingest_start, name="ingest-start"),
    path("ingest/jobs/<int:pk>/", ingest.ingest_job, name="ingest-job"),
    path(
        "ingest/jobs/<int:pk>/quarantine.csv",
        ingest.ingest_job_quarantine,
        name="ingest-job-quarantine",
    ),
    path("ingest/jobs/<int:pk>/retry/", ingest.ingest_job_retry, name="ingest-job-retry"),
    path("ingest/schedules/", ingest.schedule_create, name="ingest-schedule-create"),
    path("ingest/schedules/<int:pk>/toggle/", ingest.schedule_toggle, name="ingest-schedule-toggle"),
    path("ingest/schedules/<int:pk>/delete/", ingest.schedule_delete, name="ingest-schedule-delete"),
]
