"""Case pages: parse the request, call one service or selector, render or redirect with a message.

Reading cases is open to every role; changing them to case managers and admins (analysts comment, propose
clusters and close tasks given to them); the audit log page is for admins.

About 400 lines: one page family, every view a few lines of parse, call and redirect.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from frontend.forms_cases import (
    AcknowledgeForm,
    AssignForm,
    AttachmentForm,
    AuditFilterForm,
    BulkAssignForm,
    CaseFilterForm,
    CommentForm,
    DecisionForm,
    DetailsForm,
    OpenCaseForm,
    PickCaseForm,
    ProposalForm,
    TaskDoneForm,
    TaskForm,
    TransitionForm,
    split_list,
)
from investigations.exports import ExportFormat
from investigations.exports.report import case_figures
from investigations.ids import parse_id
from investigations.models import REASON_REQUIRED, Case, CaseStatus, Cluster, ClusterProposal, ProposalStatus
from investigations.permissions import role_required
from investigations.roles import CASE_MANAGERS, READERS, Role, has_role
from investigations.selectors import cases as selectors
from investigations.services import case_work, case_workflow
from investigations.services import cases as services
from investigations.services.cases import CaseError, CasePermissionError

LIST_PAGE_SIZE = 25
AUDIT_PAGE_SIZE = 100


def _perform(request: HttpRequest, action: Callable[[], object], success: str) -> bool:
    """Run a service call; its refusal becomes an error message, a role refusal a 403."""
    try:
        action()
    except CasePermissionError as exc:
        raise PermissionDenied(str(exc)) from exc
    except CaseError as exc:
        messages.error(request, str(exc))
        return False
    messages.success(request, success)
    return True


def _form_errors(request: HttpRequest, form: Form) -> None:
    for field, errors in form.errors.items():
        label = "" if field == "__all__" else f"{field.replace('_', ' ')}: "
        messages.error(request, label + " ".join(str(e) for e in errors))


def _case(pk: int) -> Case:
    try:
        return selectors.get_case(pk)
    except Case.DoesNotExist as exc:
        raise Http404("No such case.") from exc


def _cluster(value: str | None) -> Cluster | None:
    if not value:
        return None
    number = parse_id(value)
    if number is None:
        raise Http404("No such cluster.")
    try:
        return selectors.cluster_by_id(number)
    except Cluster.DoesNotExist as exc:
        raise Http404("No such cluster.") from exc


def _cluster_label(c: Cluster) -> str:
    return f"{c.key} · score {c.score:.2f} · {c.size} accounts · run #{c.run_id}{' · flagged' if c.flagged else ''}"


def _back(pk: int, anchor: str = "") -> HttpResponse:
    return redirect(reverse("case", args=[pk]) + anchor)


# ---------------------------------------------------------------- list, open, add, propose


@require_GET
@role_required(*READERS)
def case_list(request: HttpRequest) -> HttpResponse:
    """Cases, filtered (mine, open, overdue, priority, status), with bulk assignment for case managers."""
    form = CaseFilterForm(request.GET)
    page = Paginator(selectors.cases_for_list(request.user, form.to_filters()), LIST_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "frontend/cases/list.html", {"form": form, "pg": page, "bulk_form": AssignForm()})


@require_POST
@role_required(*CASE_MANAGERS)
def case_bulk_assign(request: HttpRequest) -> HttpResponse:
    """Assign the ticked cases."""
    form = BulkAssignForm(request.POST)
    if form.is_valid():
        ids = [c.pk for c in form.cleaned_data["cases"]]
        assignee = form.cleaned_data["assignee"]
        _perform(request, lambda: case_workflow.bulk_assign(ids, assignee, by=request.user),
                 f"{len(ids)} case{'s' if len(ids) != 1 else ''} assigned to {assignee or 'nobody'}.")  # fmt: skip
    else:
        _form_errors(request, form)
    return redirect(reverse("cases") + "?" + request.POST.get("query", ""))


@require_http_methods(["GET", "POST"])
@role_required(*CASE_MANAGERS)
def case_new(request: HttpRequest) -> HttpResponse:
    """Open a case: from the cluster or account in the link, or from a top cluster of the latest run."""
    given = _cluster(request.GET.get("cluster") or request.POST.get("cluster"))
    choices = [given] if given is not None else selectors.top_clusters()
    cluster_choices = [(c.pk, _cluster_label(c)) for c in choices]
    if request.method == "POST":
        form = OpenCaseForm(request.POST, cluster_choices=cluster_choices)
        if form.is_valid():
            data = form.cleaned_data
            by_id = {c.pk: c for c in choices}
            opened: list[Case] = []
            if _perform(
                request,
                lambda: opened.append(services.open_case(
                    by=request.user, title=data["title"], clusters=[by_id[pk] for pk in data["clusters"]],
                    account_ids=split_list(data["accounts"]), priority=data["priority"], assignee=data["assignee"],
                    due_date=data["due_date"], tags=split_list(data["tags"]), description=data["description"],
                )),
                "Case opened; its evidence is frozen as of now.",
            ):  # fmt: skip
                return _back(opened[0].pk)
        else:
            _form_errors(request, form)
    else:
        initial = {"clusters": [given.pk] if given else [], "accounts": request.GET.get("account", "")}
        form = OpenCaseForm(initial=initial, cluster_choices=cluster_choices)
    return render(request, "frontend/cases/new.html", {"form": form, "given": given, "choices": choices})


@require_http_methods(["GET", "POST"])
@role_required(*CASE_MANAGERS)
def case_add_evidence(request: HttpRequest) -> HttpResponse:
    """Add the cluster or the account in the link to an existing case (its evidence is frozen now)."""
    cluster = _cluster(request.GET.get("cluster"))
    account = (request.GET.get("account") or "").strip()
    if cluster is None and not account:
        raise Http404("Say which cluster or account to add.")
    form = PickCaseForm(request.POST or None, cases=selectors.cases_accepting_evidence())
    if request.method == "POST" and form.is_valid():
        case = form.cleaned_data["case"]
        if cluster is not None:
            ok = _perform(request, lambda: services.add_cluster(case, cluster, by=request.user),
                          f"Cluster {cluster.key} added to case #{case.pk} and frozen.")  # fmt: skip
        else:
            ok = _perform(request, lambda: services.add_accounts(case, [account], by=request.user),
                          f"Account {account} added to case #{case.pk} and frozen.")  # fmt: skip
        if ok:
            return _back(case.pk)
    elif request.method == "POST":
        _form_errors(request, form)
    return render(
        request, "frontend/cases/add_evidence.html", {"form": form, "cluster": cluster, "account": account}
    )


@require_http_methods(["GET", "POST"])
@role_required(*READERS)
def case_propose(request: HttpRequest) -> HttpResponse:
    """An analyst proposes the cluster in the link for a case."""
    cluster = _cluster(request.GET.get("cluster"))
    if cluster is None:
        raise Http404("Say which cluster to propose.")
    form = ProposalForm(request.POST or None, cases=selectors.cases_accepting_evidence())
    if request.method == "POST" and form.is_valid():
        case, note = form.cleaned_data["case"], form.cleaned_data["note"]
        if _perform(request, lambda: case_work.propose_cluster(cluster, by=request.user, case=case, note=note),
                    f"Cluster {cluster.key} proposed; a case manager will decide."):  # fmt: skip
            return redirect(reverse("cluster", args=[cluster.key]) + f"?run={cluster.run_id}")
    return render(request, "frontend/cases/propose.html", {"form": form, "cluster": cluster})


@require_GET
@role_required(*CASE_MANAGERS)
def proposal_list(request: HttpRequest) -> HttpResponse:
    """Analysts' proposals waiting for a decision."""
    return render(request, "frontend/cases/proposals.html", {"proposals": selectors.pending_proposals()})


@require_POST
@role_required(*CASE_MANAGERS)
def proposal_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Accept (add the cluster to its case, or open one) or decline a proposal."""
    proposal = get_object_or_404(ClusterProposal, pk=pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("case-proposals")
    accept = form.cleaned_data["accept"]
    _perform(request, lambda: case_work.decide_proposal(proposal, by=request.user, accept=accept),
             f"Proposal of {proposal.cluster_key} {'accepted' if accept else 'declined'}.")  # fmt: skip
    proposal.refresh_from_db()
    if proposal.status == ProposalStatus.ACCEPTED and proposal.resulting_case_id:
        return _back(proposal.resulting_case_id)
    return redirect("case-proposals")


# ---------------------------------------------------------------- one case


@require_GET
@role_required(*READERS)
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A case: frozen evidence beside what changed since, alerts, timeline, comments, tasks, findings, exports."""
    view = selectors.case_view(_case(pk))
    case = view.case
    context: dict[str, Any] = {
        "view": view,
        "case": case,
        "figures": case_figures(view),
        "can_manage": has_role(request.user, *CASE_MANAGERS),
        "transition_form": TransitionForm(),
        "assign_form": AssignForm(initial={"assignee": case.assignee}),
        "details_form": DetailsForm(initial={"title": case.title, "priority": case.priority, "due_date": case.due_date,
                                             "tags": ", ".join(case.tags), "description": case.description}),
        "comment_form": CommentForm(),
        "task_form": TaskForm(),
        "attachment_form": AttachmentForm(),
        "export_formats": ExportFormat.choices,
        "evidence": list(zip(view.clusters, view.changes.clusters, strict=True)),
        "status_now": {s.account_id: s.now for s in view.changes.statuses},
        "transitions": [(t, (CaseStatus(case.status), t) in REASON_REQUIRED) for t in case.allowed_transitions()],
    }  # fmt: skip
    return render(request, "frontend/cases/detail.html", context)


@require_POST
@role_required(*CASE_MANAGERS)
def case_transition(request: HttpRequest, pk: int) -> HttpResponse:
    """Move the case to another status."""
    case, form = _case(pk), TransitionForm(request.POST)
    if form.is_valid():
        target = form.cleaned_data["status"]
        _perform(request, lambda: case_workflow.transition_case(case, target, by=request.user, reason=form.cleaned_data["reason"],
                                                             actioned_accounts=form.accounts()),
                 f"Case moved to {target}.")  # fmt: skip
    else:
        _form_errors(request, form)
    return _back(pk)


@require_POST
@role_required(*CASE_MANAGERS)
def case_assign(request: HttpRequest, pk: int) -> HttpResponse:
    """Give the case to someone."""
    case, form = _case(pk), AssignForm(request.POST)
    if form.is_valid():
        assignee = form.cleaned_data["assignee"]
        _perform(request, lambda: case_workflow.assign_case(case, assignee, by=request.user),
                 f"Assigned to {assignee.get_username()}." if assignee else "Unassigned.")  # fmt: skip
    else:
        _form_errors(request, form)
    return _back(pk)


@require_POST
@role_required(*CASE_MANAGERS)
def case_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change the case's details."""
    case, form = _case(pk), DetailsForm(request.POST)
    if form.is_valid():
        _perform(
            request, lambda: case_workflow.update_case(case, by=request.user, **form.changes()), "Details saved."
        )
    else:
        _form_errors(request, form)
    return _back(pk)


@require_POST
@role_required(*READERS)
def case_comment(request: HttpRequest, pk: int) -> HttpResponse:
    """Comment on the case (every role)."""
    case, form = _case(pk), CommentForm(request.POST)
    if form.is_valid():
        _perform(
            request,
            lambda: case_work.add_comment(case, form.cleaned_data["body"], by=request.user),
            "Comment added.",
        )
    else:
        _form_errors(request, form)
    return _back(pk, "#comments")


@require_POST
@role_required(*CASE_MANAGERS)
def case_task_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a task."""
    case, form = _case(pk), TaskForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        _perform(request, lambda: case_work.add_task(case, data["title"], by=request.user, assignee=data["assignee"],
                                                     due_date=data["due_date"]), "Task added.")  # fmt: skip
    else:
        _form_errors(request, form)
    return _back(pk, "#tasks")


@require_POST
@role_required(*READERS)
def case_task_done(request: HttpRequest, pk: int, task_id: int) -> HttpResponse:
    """Mark a task done or not done (its assignee or a case manager)."""
    task = get_object_or_404(_case(pk).tasks, pk=task_id)
    form = TaskDoneForm(request.POST)
    form.is_valid()
    done = bool(form.cleaned_data.get("done"))
    _perform(request, lambda: case_work.update_task(task, by=request.user, done=done),
             "Task done." if done else "Task reopened.")  # fmt: skip
    return _back(pk, "#tasks")


@require_POST
@role_required(*CASE_MANAGERS)
def case_attach(request: HttpRequest, pk: int) -> HttpResponse:
    """Attach a note, a figure or a file."""
    case, form = _case(pk), AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        _perform(request, lambda: case_work.add_attachment(case, by=request.user, kind=data["kind"], title=data["title"],
                                                           text=data["text"], upload=data["file"]),
                 "Finding attached.")  # fmt: skip
    else:
        _form_errors(request, form)
    return _back(pk, "#findings")


@require_GET
@role_required(*READERS)
def case_attachment(request: HttpRequest, pk: int, attachment_id: int) -> HttpResponse:
    """Download an attached file (always as a download, never rendered in the page)."""
    attachment = get_object_or_404(_case(pk).attachments, pk=attachment_id)
    if not attachment.file:
        raise Http404("This finding has no file.")
    name, content = selectors.attachment_download(attachment)
    response = HttpResponse(content, content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_POST
@role_required(*CASE_MANAGERS)
def case_alert_ack(request: HttpRequest, pk: int, alert_id: int) -> HttpResponse:
    """Acknowledge a regrowth alert, optionally freezing its accounts into the case."""
    alert = get_object_or_404(_case(pk).alerts, pk=alert_id)
    form = AcknowledgeForm(request.POST)
    form.is_valid()
    add = bool(form.cleaned_data.get("add_accounts"))
    _perform(request, lambda: case_workflow.acknowledge_alert(alert, by=request.user, add_accounts_to_case=add),
             "Alert acknowledged." + (" Its accounts are now in the case." if add else ""))  # fmt: skip
    return _back(pk, "#alerts")


@require_GET
@role_required(*CASE_MANAGERS)
def case_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """Download the case as a STIX bundle, CSV or the HTML report (recorded in the audit log)."""
    if fmt not in ExportFormat.values:
        raise Http404("No such export.")
    try:
        nonce = str(request.csp_nonce) if fmt == ExportFormat.REPORT else ""  # type: ignore[attr-defined]  # django-csp
        file = case_work.export_case(_case(pk), fmt, by=request.user, script_nonce=nonce)
    except CasePermissionError as exc:
        raise PermissionDenied(str(exc)) from exc
    response = HttpResponse(file.content, content_type=file.content_type)
    disposition = "inline" if fmt == ExportFormat.REPORT and "download" not in request.GET else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{file.filename}"'
    return response


# ---------------------------------------------------------------- audit


@require_GET
@role_required(Role.ADMIN)
def audit_log(request: HttpRequest) -> HttpResponse:
    """Every recorded change, filtered by actor, action, case and day (admins)."""
    form = AuditFilterForm(request.GET)
    page = Paginator(selectors.audit_events(form.to_filters()), AUDIT_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "frontend/cases/audit.html", {"form": form, "pg": page})
