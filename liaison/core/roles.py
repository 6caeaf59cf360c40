"""The portal's roles as auth groups, kept in step with this table after every migrate.

A role grants *what* a person may do; *where* (which points, which department) comes from
the records that tie a user to points and departments (see ``points.querysets``).
"""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions

OFFICE_STAFF = "办公室工作人员"
POINT_HEAD = "点长"
DEPUTY = "代表"
GRID_WORKER = "网格员"
DEPARTMENT_HANDLER = "承办单位经办人"
# Data every office shares — the holiday calendar, the chains and their segments, the scoring
# rules, the deadline rules: one office changing them changes every other's deadlines, pages and scores, so they are
# kept by named people (the district or city office's administrator), not by every office.
REFERENCE_KEEPER = "基础数据管理员"


def _crud(app_model: str, *verbs: str) -> list[str]:
    app, model = app_model.split(".")
    return [f"{app}.{verb}_{model}" for verb in verbs]


_VIEW = ("view",)
_EDIT = ("view", "add", "change")
_ALL = ("view", "add", "change", "delete")

_TRIAGE = [
    *_crud("petitions.petition", *_EDIT),
    "petitions.triage_petition",
    "petitions.view_contact_phone",
    *_crud("petitions.attachment", *_VIEW),
    *_crud("petitions.petitionevent", *_VIEW),
    *_crud("petitions.department", *_VIEW),
    *_crud("petitions.deadlinerule", *_VIEW),
]
_POINT_READ = [
    *_crud("points.industrychain", *_VIEW),
    *_crud("points.chainsegment", *_VIEW),
    *_crud("points.enterprise", *_VIEW),
    *_crud("points.enterpriserelation", *_VIEW),
    *_crud("points.liaisonpoint", *_VIEW),
    *_crud("deputies.person", *_VIEW),
    *_crud("deputies.station", *_VIEW),
    *_crud("deputies.enterpriselink", *_VIEW),
]
_DEPUTY_WORK = [
    *_crud("deputies.activity", *_EDIT),
    *_crud("deputies.suggestion", *_EDIT),
    *_crud("deputies.receptionday", "view", "change"),
    *_crud("deputies.dutyassignment", "view", "change"),
    *_crud("deputies.visit", *_EDIT),
    *_crud("deputies.photo", *_VIEW),
    *_crud("scoring.scoreevent", *_VIEW),
    *_crud("scoring.scoringrule", *_VIEW),
]

ROLES: dict[str, list[str]] = {
    OFFICE_STAFF: [
        *_TRIAGE,
        *_crud("petitions.department", *_EDIT),
        *_crud("points.enterprise", *_EDIT),
        *_crud("points.liaisonpoint", *_EDIT),
        *_crud("deputies.person", *_EDIT),
        *_crud("deputies.station", *_ALL),
        *_crud("deputies.enterpriselink", *_ALL),
        *_DEPUTY_WORK,
        *_crud("core.holiday", *_VIEW),
        *_crud("petitions.deadlinerule", *_VIEW),
        *_crud("deputies.receptionday", *_EDIT),
        *_crud("core.notification", *_VIEW),
        *_crud("points.grouprobot", *_ALL),
        *_crud("deputies.visit", *_ALL),
        *_crud("points.enterpriserelation", *_ALL),
    ],
    POINT_HEAD: [
        *_TRIAGE,
        *_POINT_READ,
        "points.change_liaisonpoint",
        *_DEPUTY_WORK,
    ],
    DEPUTY: [*_TRIAGE, *_POINT_READ, *_DEPUTY_WORK],
    GRID_WORKER: [
        *_crud("petitions.petition", "view", "add"),
        "petitions.view_contact_phone",
        *_crud("petitions.petitionevent", *_VIEW),
        *_crud("petitions.attachment", *_VIEW),
        *_crud("deputies.visit", "view", "add"),
        *_POINT_READ,
    ],
    REFERENCE_KEEPER: [
        *_crud("core.holiday", *_ALL),
        *_crud("points.industrychain", *_EDIT),
        *_crud("points.chainsegment", *_ALL),
        *_crud("scoring.scoringrule", "view", "change"),
        *_crud("petitions.deadlinerule", *_ALL),
    ],
    DEPARTMENT_HANDLER: [
        *_crud("petitions.petition", "view"),
        "petitions.handle_petition",
        *_crud("petitions.petitionevent", *_VIEW),
        *_crud("petitions.attachment", *_VIEW),
    ],
}


def sync_groups(apps=global_apps, using="default") -> None:
    """Create or update every role's group so its permissions equal the table. Safe to re-run."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    # Permissions of apps later in the migrate order do not exist yet when our signal runs.
    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    by_key = {
        (p.content_type.app_label, p.codename): p
        for p in Permission.objects.using(using).select_related("content_type")
    }
    for name, codes in ROLES.items():
        wanted = {tuple(code.split(".")) for code in codes}
        missing = wanted - by_key.keys()
        if missing:
            raise LookupError(f"Role {name} names unknown permissions: {sorted(missing)}")
        group, _ = Group.objects.using(using).get_or_create(name=name)
        group.permissions.set([by_key[key] for key in wanted])


def sync_groups_after_migrate(sender, using="default", **kwargs):
    sync_groups(using=using)
