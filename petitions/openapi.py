"""The schema of the workflow steps' endpoints, imported only where a schema is generated
(``liaison.core.apischema.Schema``)."""

from liaison.core.openapi import ApiSchema

from .actions import STEPS
from .api import step_input


class StepSchema(ApiSchema):
    """Each step's endpoint documents its own input: the step's form, as a serializer."""

    def get_request_serializer(self):
        return step_input(self.view.step)

    def get_operation_id(self):
        return f"requests_{self.view.step}"

    def get_tags(self):
        return ["requests"]

    def get_description(self):
        step = STEPS[self.view.step]
        sources = ", ".join(sorted(step.sources))
        return f"Workflow step “{step.name}” ({step.label}), from: {sources}. See petitions/workflow.py."
