"""One admin view for the steps of any model with a ``StepTable``: buttons on the change form
for the steps the user may take, a page with the step's form, the service called on POST."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext

from .steps import StepRefused


def step_buttons(table, obj, user) -> list[tuple[str, str, bool]]:
    """(name, label, direct) for each step ``user`` may take on ``obj``: a direct step posts
    from its button; the others open their page (their form, or the confirmation of what
    cannot be undone)."""
    return [(s.name, s.label, s.form is None and not table.warning(s.name)) for s in table.allowed_steps(obj, user)]


class StepsAdminMixin:
    """Put before the admin base; set ``step_table``. The object is fetched through the admin's
    own (scoped) queryset, so a row the user may not see is a 404 here too."""

    step_table = None
    change_form_template = "admin/steps/change_form.html"

    def _step_url_name(self) -> str:
        opts = self.model._meta
        return f"{opts.app_label}_{opts.model_name}_step"

    def get_urls(self):
        return [
            path("<int:pk>/do/<str:action>/", self.admin_site.admin_view(self.step_view), name=self._step_url_name()),
            *super().get_urls(),
        ]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = extra_context or {}
        if object_id:
            obj = self.get_object(request, object_id)
            if obj is not None:
                extra_context["step_url_name"] = f"admin:{self._step_url_name()}"
                extra_context["transitions"] = step_buttons(self.step_table, obj, request.user)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def step_view(self, request, pk, action):
        if not self.has_view_permission(request):
            raise PermissionDenied
        obj = self.get_queryset(request).filter(pk=pk).first()
        step = self.step_table.steps.get(action)
        if obj is None or step is None:
            raise Http404
        opts = self.model._meta
        back = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
        if step not in self.step_table.allowed_steps(obj, request.user):
            # Not now, or not this user: said on the page they came from, nothing changed.
            self.message_user(
                request,
                gettext("%(action)s is not possible here now.") % {"action": step.label},
                messages.ERROR,
            )
            return redirect(back)
        form = step.bind(obj, request.POST or None, request.FILES or None)
        if request.method == "POST" and (form is None or form.is_valid()):
            try:
                step.perform(obj, request.user, form.cleaned_data if form else {})
            except StepRefused as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(request, gettext("%(action)s: done.") % {"action": step.label})
            return redirect(back)
        context = {
            **self.admin_site.each_context(request),
            "opts": opts,
            "original": obj,
            "back": back,
            "form": form,
            "title": f"{step.label} · {obj}",
            "action_label": step.label,
            "warning": self.step_table.warning(step.name),
        }
        return TemplateResponse(request, "admin/steps/step.html", context, status=400 if form and form.errors else 200)
