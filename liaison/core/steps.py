"""State machines as one table per model: each step declared once, on its service function.

A step is declared by decorating the service that performs it::

    DAY = StepTable("reception day", subject="day", rights=day_rights)

    @DAY.step("cancel", _("Cancel"), [Status.SCHEDULED], Status.CANCELLED, POINT, form=ReasonForm)
    def reception_day_cancel(*, day, actor, reason, now=None): ...

``table.steps`` is then the one table the services check each write against (``table.check``),
and from which the admin's buttons and forms (``liaison.core.admin_steps``), the API and the
tests that walk every state × every step are all derived. The rights an actor holds over an
object come from the table's ``rights`` function, so a lower layer never needs to know who the
upper layers' users are.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _


class StepRefused(Exception):
    """The object is not in a state for this step, or the actor may not take it."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Step:
    name: str
    label: str
    sources: frozenset
    target: str | None  # None: the state does not change (or depends on the input)
    rights: frozenset
    form: type | None  # None: the step takes no input
    service: Callable
    subject: str = "obj"  # the service's keyword for the object the step acts on

    @property
    def url(self) -> str:
        """The step's segment in addresses (``resolve-on-site``)."""
        return self.name.replace("_", "-")

    def bind(self, obj, data=None, files=None):
        """The step's form for ``obj``, bound to ``data`` (unbound without); None if the step
        takes no input. Forms take the object under the subject's keyword."""
        return self.form(data, files, **{self.subject: obj}) if self.form else None

    def perform(self, obj, actor, data: dict):
        """Take the step with validated ``data``; raises the table's refusal."""
        return self.service(**{self.subject: obj}, actor=actor, **data)


@dataclass
class StepTable:
    """The steps of one model, in declaration order, and who may take them."""

    label: str
    subject: str = "obj"
    rights: Callable = lambda actor, obj: set()  # (actor, obj) -> set of right names
    state_field: str = "status"
    steps: dict[str, Step] = field(default_factory=dict)
    # An extra condition per step beyond the state and the rights (a rating given once...).
    guard: Callable = lambda step, obj, actor: True
    # What cannot be undone, per step name: shown on the step's page, above its button, so
    # that the page itself is the confirmation (no script needed).
    irreversible: dict[str, str] = field(default_factory=dict)

    def step(self, name: str, label, sources, target, *rights: str, form: type | None = None):
        """Declare the service function it decorates as the step ``name``."""

        def register(service: Callable) -> Callable:
            if name in self.steps:
                raise ValueError(f"The step {name!r} of {self.label} is declared twice.")
            self.steps[name] = Step(
                name, label, frozenset(sources), target, frozenset(rights), form, service, self.subject
            )
            return service

        return register

    def state(self, obj) -> str:
        return getattr(obj, self.state_field)

    def allowed_steps(self, obj, actor) -> list[Step]:
        """The steps ``actor`` may take on ``obj`` as it stands, in the table's order."""
        held = self.rights(actor, obj)
        state = self.state(obj)
        return [s for s in self.steps.values() if state in s.sources and held & s.rights and self.guard(s, obj, actor)]

    def allowed_actions(self, obj, actor) -> list[str]:
        return [s.name for s in self.allowed_steps(obj, actor)]

    def check(self, name: str, obj, actor, refused=StepRefused) -> Step:
        """Raise ``refused`` unless ``actor`` may take step ``name`` on ``obj`` (locked, as it
        stands in the database); return the step. Services call this first."""
        step = self.steps[name]
        if self.state(obj) not in step.sources:
            raise refused(
                _("%(step)s is not possible while it is %(state)s.")
                % {"step": step.label, "state": self.display_state(obj)}
            )
        if not (self.rights(actor, obj) & step.rights):
            raise refused(_("%(step)s: you may not do this here.") % {"step": step.label})
        return step

    def warning(self, name: str) -> str:
        """What taking step ``name`` cannot undo; empty for a step that can be."""
        return str(self.irreversible.get(name, ""))

    def display_state(self, obj) -> str:
        display = getattr(obj, f"get_{self.state_field}_display", None)
        return str(display()) if display else self.state(obj)


class SystemActor:
    """A scheduled task or an external platform acting with fixed rights."""

    is_authenticated = False

    def __init__(self, label: str, rights=frozenset()):
        self.label = label
        self.rights = frozenset(rights)

    def __str__(self):
        return self.label
