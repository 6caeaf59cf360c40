"""Demo data modelled on the two liaison points of the NEV industry chain in Bishan.

Names of people and smaller enterprises are fictional. Every step is keyed on a natural key,
so loading twice changes nothing. Requests go through the real services, so their timelines,
deadlines and numbers are what the portal itself would have written.
"""

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.db import transaction

from deputies.models import (
    Activity,
    DutyAssignment,
    EnterpriseLink,
    Person,
    ReceptionDay,
    Station,
    Suggestion,
    Visit,
)
from deputies.services import (
    activity_hold,
    at_local,
    reception_days_generate,
    roster_for,
    suggestion_answer,
    suggestion_assign,
    suggestion_close,
    suggestion_rate,
    suggestion_submit,
    visit_record,
)
from liaison.core import roles
from petitions import services
from petitions.models import Category, Channel, Department, Petition, Satisfaction
from points.models import ChainSegment, Enterprise, EnterpriseRelation, IndustryChain, LiaisonPoint, Organisation
from points.selectors import reception_date_in_month
from points.validators import make_uscc
from scoring.services import score_sync

TZ = ZoneInfo("Asia/Shanghai")
DEMO_PASSWORD = "demo-pass-2026"  # printed by load_demo; demo mode only
NAMESPACE = uuid.UUID("6f1c2a52-5b7e-4a8e-9d55-1f2a0c6b7d10")

SEGMENTS = ["整车", "传动系统", "控制器", "电池", "电机", "汽车电子", "零部件"]

ENTERPRISES = [
    # name, segment, chain role
    ("比亚迪汽车璧山园区", "整车", "leader"),
    ("青山工业传动系统有限公司", "传动系统", "sub_leader"),
    ("璧山智控电子有限公司", "控制器", "backbone"),
    ("渝西动力电池科技有限公司", "电池", "backbone"),
    ("璧山精密齿轮有限公司", "传动系统", "supplier"),
    ("重庆驰远电机有限公司", "电机", "backbone"),
    ("璧泉汽车线束有限公司", "汽车电子", "supplier"),
    ("来凤新材料科技有限公司", "零部件", "tech_sme"),
    ("青杠热管理系统有限公司", "零部件", "supplier"),
    ("渝璧车载软件有限公司", "汽车电子", "tech_sme"),
    ("璧山轻量化车身有限公司", "零部件", "supplier"),
    ("重庆芯驰半导体有限公司", "控制器", "tech_sme"),
    ("璧山汽车座椅有限公司", "零部件", "supplier"),
    ("璧城储能设备有限公司", "电池", "supplier"),
    ("重庆睿行智能驾驶有限公司", "汽车电子", "tech_sme"),
    ("璧山铝压铸有限公司", "传动系统", "supplier"),
    ("璧泉充电设施有限公司", "电池", "supplier"),
    ("重庆华锐减速器有限公司", "传动系统", "backbone"),
    ("丁家模具制造有限公司", "零部件", "supplier"),
    ("璧山电控测试技术有限公司", "控制器", "tech_sme"),
    ("青杠物流配送有限公司", "零部件", "supplier"),
    ("渝西汽车玻璃有限公司", "零部件", "supplier"),
]

# The two anchors' networks (the chain page counts them): BYD buys from the suppliers (链主 →
# 配套), 青山工业 coordinates the transmission partners (小链长 → 协作).
RELATIONS = [
    (
        "比亚迪汽车璧山园区",
        "supply",
        [name for name, _, role in ENTERPRISES if role == "supplier"]
        + [
            "璧山智控电子有限公司",
            "渝西动力电池科技有限公司",
            "重庆驰远电机有限公司",
        ],
    ),
    (
        "青山工业传动系统有限公司",
        "partner",
        [
            "璧山精密齿轮有限公司",
            "璧山铝压铸有限公司",
            "重庆华锐减速器有限公司",
            "重庆驰远电机有限公司",
            "来凤新材料科技有限公司",
            "丁家模具制造有限公司",
            "璧山电控测试技术有限公司",
        ],
    ),
]

DEPARTMENTS = [
    "区发展改革委",
    "区教委",
    "区交通局",
    "区住房城乡建委",
    "区经济信息委",
    "区人力社保局",
    "区规划自然资源局",
    "区市场监管局",
]

# A handler account for each department the demo requests go to (user name, display name);
# the others keep only their office phone, so a dispatch there shows the SMS to that phone.
HANDLERS = {
    "区交通局": ("handler", "区交通局经办人"),
    "区教委": ("handler_jw", "区教委经办人"),
    "区住房城乡建委": ("handler_zj", "区住房城乡建委经办人"),
    "区发展改革委": ("handler_fg", "区发展改革委经办人"),
}

# The street working committees' accounts (escalation level 2 reaches them).
STREET_STAFF = {
    "璧泉街道工委": ("street_bq", "璧泉街道工委工作人员"),
    "青杠街道工委": ("street_qg", "青杠街道工委工作人员"),
}

POINTS = [
    {
        "code": "byd-bishan",
        "name": "比亚迪璧山园区人大代表活动点",
        "street": "璧泉街道工委",
        "host": "比亚迪汽车璧山园区",
        "address": "重庆市璧山区璧泉街道比亚迪园区综合楼一楼",
        "opened_on": dt.date(2023, 6, 15),
        "checklist": True,
    },
    {
        "code": "qingshan",
        "name": "青山工业人大代表活动点",
        "street": "青杠街道工委",
        "host": "青山工业传动系统有限公司",
        "address": "重庆市璧山区青杠街道青山工业园行政楼二楼",
        "opened_on": dt.date(2023, 9, 15),
        "checklist": False,
    },
]

# name, kind, level, employer/title, point index, role, user name (or "")
PEOPLE = [
    ("陈立群", "deputy", "city", "比亚迪汽车璧山园区 · 园区总经理", 0, "head", "head_byd"),
    ("王建平", "deputy", "district", "青山工业传动系统有限公司 · 副总经理", 1, "head", "head_qs"),
    ("李晓梅", "consultative", "", "璧山智控电子有限公司 · 董事长", 0, "member", "deputy_li"),
    ("张国栋", "consultative", "", "渝西动力电池科技有限公司 · 总经理", 0, "member", ""),
    ("刘芳", "consultative", "", "重庆驰远电机有限公司 · 副总经理", 0, "member", ""),
    ("赵永强", "consultative", "", "重庆华锐减速器有限公司 · 总经理", 1, "member", "deputy_zhao"),
    ("孙丽娟", "consultative", "", "璧山精密齿轮有限公司 · 总经理", 1, "member", ""),
    ("周海涛", "consultative", "", "璧山铝压铸有限公司 · 董事长", 1, "member", ""),
    ("吴敏", "grid_worker", "", "璧泉街道 · 企业网格员", 0, "member", "grid_wu"),
    ("郑凯", "grid_worker", "", "璧泉街道 · 企业网格员", 0, "member", ""),
    ("冯雪", "grid_worker", "", "璧泉街道 · 企业网格员", 0, "member", ""),
    ("陈浩", "grid_worker", "", "璧泉街道 · 企业网格员", 0, "member", ""),
    ("褚静", "grid_worker", "", "璧泉街道 · 企业网格员", 0, "member", ""),
    ("卫东", "grid_worker", "", "青杠街道 · 企业网格员", 1, "member", ""),
    ("蒋琳", "grid_worker", "", "青杠街道 · 企业网格员", 1, "member", ""),
    ("沈磊", "grid_worker", "", "青杠街道 · 企业网格员", 1, "member", ""),
    ("韩梅", "grid_worker", "", "青杠街道 · 企业网格员", 1, "member", ""),
]

# title, submitted to, where it stands ("closed" | "answered" | "assigned"), the answer (答复)
SUGGESTIONS = [
    (
        "关于支持璧山区打造智能网联新能源汽车控制器百亿级产业基地的建议",
        "重庆市经济和信息化委员会",
        "closed",
        "已将控制器产业纳入全市智能网联新能源汽车产业集群重点支持方向，在技术改造、首台套应用等方面给予支持。",
    ),
    (
        "关于加快“充储泊配”设施建设的建议",
        "重庆市住房和城乡建设委员会",
        "closed",
        "已会同相关部门制定充储泊配设施建设实施方案，2026年在璧山区新建公共充电桩及配套停车位。",
    ),
    (
        "关于推进渝西片区交通互联互通一体化发展的建议",
        "重庆市交通运输委员会",
        "answered",
        "渝西片区干线公路及轨道交通项目已纳入规划，将分年度推进建设。",
    ),
    (
        "关于加大新能源汽车零部件企业技术改造支持力度的建议",
        "重庆市经济和信息化委员会",
        "answered",
        "技术改造专项资金对零部件企业单列支持，申报指南已发布。",
    ),
    (
        "关于优化产业园区职工子女入学保障的建议",
        "璧山区教育委员会",
        "closed",
        "已将园区职工子女纳入就近入学保障范围，2026年秋季学期起执行。",
    ),
    ("关于完善产业链企业技能人才培训补贴政策的建议", "璧山区人力资源和社会保障局", "assigned", ""),
    (
        "关于提升园区公共交通通勤服务的建议",
        "璧山区交通局",
        "answered",
        "已在早晚高峰加密园区通勤公交班次，并新开园区至城区的定制线路。",
    ),
    ("关于支持链上中小企业融资担保的建议", "璧山区发展和改革委员会", "assigned", ""),
]

# title, point, enterprise, category, channel, outcome ("site" | department name | "open")
REQUESTS = [
    ("园区通勤公交班次不足", 0, "璧山智控电子有限公司", Category.TRANSPORT, Channel.RECEPTION, "区交通局"),
    ("员工子女就近入学咨询", 0, "渝西动力电池科技有限公司", Category.EDUCATION, Channel.QR, "区教委"),
    ("技改项目申报政策咨询", 0, "重庆驰远电机有限公司", Category.POLICY, Channel.QR, "site"),
    ("厂区周边道路破损影响货车通行", 1, "璧山精密齿轮有限公司", Category.TRANSPORT, Channel.VISIT, "区交通局"),
    ("新建厂房施工许可办理进度", 1, "重庆华锐减速器有限公司", Category.LAND, Channel.RECEPTION, "区住房城乡建委"),
    ("技能人才培训补贴申领", 1, "璧山铝压铸有限公司", Category.LABOUR, Channel.QR, "site"),
    ("充电桩建设用电增容", 0, "璧城储能设备有限公司", Category.INFRASTRUCTURE, Channel.PHONE, "open"),
]


def _user(username, *, group=None, superuser=False, name=""):
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=username, defaults={"is_staff": True, "is_superuser": superuser, "first_name": name}
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@transaction.atomic
def load() -> dict:
    roles.sync_groups()
    today = dt.datetime.now(TZ).date()
    admin_user = _user("admin", superuser=True, name="演示管理员")

    district, _ = Organisation.objects.get_or_create(
        name="璧山区人大常委会办公室", defaults={"kind": Organisation.Kind.DISTRICT}
    )
    office = _user("office", group=roles.OFFICE_STAFF, name="区人大办公室工作人员")
    office.groups.add(Group.objects.get(name=roles.REFERENCE_KEEPER))  # the district keeps the calendar
    district.staff.add(office)

    chain, _ = IndustryChain.objects.get_or_create(
        name="智能网联新能源汽车", defaults={"code": "nev", "description": "璧山区智能网联新能源汽车产业链"}
    )
    segments = {}
    for order, name in enumerate(SEGMENTS):
        segments[name], _ = ChainSegment.objects.get_or_create(chain=chain, name=name, defaults={"order": order})

    enterprises = {}
    for index, (name, segment, role) in enumerate(ENTERPRISES):
        enterprises[name], _ = Enterprise.objects.get_or_create(
            name=name,
            defaults={
                "credit_code": make_uscc(index),
                "chain": chain,
                "segment": segments[segment],
                "chain_role": role,
                "contact_name": "办公室",
                "contact_phone": f"1390000{index:04d}",
            },
        )

    for source, kind, targets in RELATIONS:
        for target in targets:
            EnterpriseRelation.objects.get_or_create(
                source=enterprises[source], target=enterprises[target], defaults={"kind": kind}
            )

    points = []
    for spec in POINTS:
        street, _ = Organisation.objects.get_or_create(
            name=spec["street"], defaults={"kind": Organisation.Kind.STREET, "parent": district}
        )
        username, display = STREET_STAFF[spec["street"]]
        street.staff.add(_user(username, group=roles.OFFICE_STAFF, name=display))
        checks = {f: spec["checklist"] for f in LiaisonPoint.CHECKLIST}
        checks.update(rules_posted=True, ledger_kept=True)
        point, _ = LiaisonPoint.objects.get_or_create(
            code=spec["code"],
            defaults={
                "name": spec["name"],
                "organisation": street,
                "host_enterprise": enterprises[spec["host"]],
                "chain": chain,
                "address": spec["address"],
                "opened_on": spec["opened_on"],
                "rules": "一、每月15日为集中接待日，代表轮流值守。\n二、企业诉求当日登记、限时办理、及时反馈。\n三、诉求办理情况纳入代表履职积分。",
                "reception_process": "1. 扫码或现场登记诉求\n2. 代表受理并现场答复\n3. 不能当场解决的交办相关部门\n4. 部门办理并答复\n5. 企业评价办理结果",
                **checks,
            },
        )
        points.append(point)

    people = []
    for index, (name, kind, level, job, point_index, role, username) in enumerate(PEOPLE):
        employer, _, title = job.partition(" · ")
        person, _ = Person.objects.get_or_create(
            name=name, kind=kind, defaults={"level": level, "employer": employer, "title": title}
        )
        if username and person.user_id is None:
            group = {"head": roles.POINT_HEAD}.get(role) or (
                roles.GRID_WORKER if kind == "grid_worker" else roles.DEPUTY
            )
            person.user = _user(username, group=group, name=name)
            person.save(update_fields=["user"])
        point = points[point_index]
        Station.objects.get_or_create(person=person, point=point, since=point.opened_on, defaults={"role": role})
        # Each person looks after enterprises of their point's part of the chain.
        for offset in (0, 1):
            enterprise = list(enterprises.values())[(index * 2 + offset + point_index) % len(ENTERPRISES)]
            EnterpriseLink.objects.get_or_create(person=person, enterprise=enterprise)
        people.append(person)

    departments = {}
    for index, name in enumerate(DEPARTMENTS):
        departments[name], _ = Department.objects.get_or_create(
            name=name, defaults={"organisation": district, "phone": f"1370000{index:04d}"}
        )
    for name, (username, display) in HANDLERS.items():
        departments[name].handlers.add(_user(username, group=roles.DEPARTMENT_HANDLER, name=display))
    handler = departments["区交通局"].handlers.get()

    # 包挂: beyond each person's own two, the point's grid workers share every enterprise of the
    # chain the point does not yet look after, so each point is linked to all of them (20+).
    for point in points:
        workers = [p for p in people if p.kind == "grid_worker" and p.stations.filter(point=point).exists()]
        covered = set(
            EnterpriseLink.objects.filter(person__stations__point=point).values_list("enterprise_id", flat=True)
        )
        missing = [e for e in enterprises.values() if e.pk not in covered]
        for n, enterprise in enumerate(missing):
            EnterpriseLink.objects.get_or_create(person=workers[n % len(workers)], enterprise=enterprise)

    heads = {0: people[0].user, 1: people[1].user}
    for point_index, title, date in [
        (0, "集中视察智能网联新能源汽车控制器产业发展情况", today - dt.timedelta(days=60)),
        (1, "集中视察传动系统企业技术改造及用工保障情况", today - dt.timedelta(days=25)),
    ]:
        activity, created = Activity.objects.get_or_create(
            point=points[point_index],
            title=title,
            defaults={
                "kind": Activity.Kind.INSPECTION,
                "date": date,
                "summary": "代表深入企业生产一线，听取企业意见建议。",
            },
        )
        if created:
            invited = [p for p in people if p.kind != "grid_worker"][:5]
            activity.participants.set(invited)
            activity_hold(
                activity=activity,
                actor=heads[point_index],
                attendees=invited,
                enterprises=list(enterprises.values())[point_index * 3 : point_index * 3 + 3],
                findings="企业反映高技能人才短缺、技改资金压力大，代表现场听取意见并形成建议。",
                now=at_local(date, dt.time(17, 0)),
            )

    # 走访: each grid worker has visited the first enterprise they look after this month.
    for n, person in enumerate(p for p in people if p.kind == "grid_worker"):
        link = EnterpriseLink.objects.filter(person=person).order_by("enterprise__name").first()
        visited = max(today.replace(day=1), today - dt.timedelta(days=n))
        if link and not Visit.objects.filter(person=person, enterprise=link.enterprise, date=visited).exists():
            visit_record(
                person=person,
                enterprise=link.enterprise,
                date=visited,
                raised="企业反映用工和物流成本问题",
                actor=admin_user,
            )

    for index, spec in enumerate(SUGGESTIONS):
        _demo_suggestion(
            index, *spec, points[index % 2], [people[index % 2], people[2 + index % 6]], heads[index % 2], today
        )

    reception_days_generate(today=today)
    for point in points:
        _demo_reception_day(point, today)

    for index, (title, point_index, enterprise_name, category, channel, outcome) in enumerate(REQUESTS):
        _demo_request(
            index,
            title,
            points[point_index],
            enterprises[enterprise_name],
            category,
            channel,
            outcome,
            heads[point_index],
            departments,
            handler,
            admin_user,
        )
    score_sync()
    return {"admin": admin_user.username, "password": DEMO_PASSWORD}


def _letter(title: str) -> ContentFile:
    """A one-page PDF standing for the answer letter (答复函) of the demo suggestions."""
    text = b"BT /F1 14 Tf 72 760 Td (Reply letter) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return ContentFile(bytes(out), name=f"{uuid.uuid5(NAMESPACE, title).hex}.pdf")


def _demo_suggestion(index, title, unit, stage, answer, point, authors, head, today):
    """A suggestion walked through its lifecycle by the point head (an author) to ``stage``."""
    suggestion, created = Suggestion.objects.get_or_create(
        point=point, title=title, defaults={"content": "（建议正文略）"}
    )
    if not created:
        return
    suggestion.authors.set(authors)
    filed = today - dt.timedelta(days=20 * (len(SUGGESTIONS) - index))
    answered = min(filed + dt.timedelta(days=30), today)

    def at(day):
        return at_local(day, dt.time(10, 0))

    suggestion_submit(suggestion=suggestion, actor=head, addressed_unit=unit, filed_on=filed, now=at(filed))
    suggestion_assign(suggestion=suggestion, actor=head, handling_unit=unit, now=at(filed))
    if stage == "assigned":
        return
    suggestion_answer(
        suggestion=suggestion,
        actor=head,
        answered_on=answered,
        response=answer,
        answer_letter=_letter(title),
        now=at(answered),
    )
    if stage == "closed":
        suggestion_rate(suggestion=suggestion, actor=head, rating=Suggestion.Rating.SATISFIED, now=at(answered))
        suggestion_close(suggestion=suggestion, actor=head, now=at(answered))


def _demo_reception_day(point, today):
    """Last month's reception day, held, with attendance and its record."""
    first = today.replace(day=1)
    month = (first - dt.timedelta(days=1)).replace(day=1)
    day, created = ReceptionDay.objects.get_or_create(
        point=point,
        month=month,
        defaults={
            "date": reception_date_in_month(point, month),
            "status": ReceptionDay.Status.HELD,
            "visitors": "链上企业负责人 5 人",
            "summary": "企业反映园区通勤、技能人才培训等问题，现场答复 2 件，登记待办 1 件。",
        },
    )
    if created:
        for person in roster_for(point, month):
            DutyAssignment.objects.create(
                reception_day=day, person=person, attended=True, signed_in_at=at_local(day.date, dt.time(8, 55))
            )


def _demo_request(index, title, point, enterprise, category, channel, outcome, deputy, departments, handler, admin):
    key = uuid.uuid5(NAMESPACE, f"request-{index}")
    if Petition.objects.filter(submission_key=key).exists():
        return
    # Recent dates, so the public page and the screen show this year's work.
    today = dt.datetime.now(TZ).replace(hour=9, minute=30, second=0, microsecond=0)
    start = today - dt.timedelta(days=9 * (len(REQUESTS) - index) + 3)
    step = dt.timedelta(hours=5)
    petition = Petition(
        point=point,
        channel=channel,
        enterprise=enterprise,
        enterprise_name=enterprise.name,
        contact_name="联系人",
        contact_phone=enterprise.contact_phone or f"1380000{index:04d}",
        category=category,
        title=title,
        content=f"{enterprise.name}反映：{title}，希望相关部门协调解决。",
    )
    petition, _ = services.petition_submit(petition=petition, actor=deputy, submission_key=key, now=start)
    services.petition_accept(petition=petition, actor=deputy, now=start + step)
    if outcome == "site":
        services.petition_resolve_on_site(
            petition=petition,
            actor=deputy,
            result="代表现场解读政策并指导企业完成申报。",
            public_summary="企业政策申报问题已由代表现场解答",
            now=start + 2 * step,
        )
    elif outcome == "open":
        services.petition_dispatch(
            petition=petition, actor=deputy, department=departments["区发展改革委"], now=start + 2 * step
        )
        return
    else:
        department = departments[outcome]
        actor = department.handlers.first() or admin
        services.petition_dispatch(petition=petition, actor=deputy, department=department, now=start + 2 * step)
        services.petition_sign(petition=petition, actor=actor, now=start + 3 * step)
        services.petition_reply(
            petition=petition, actor=actor, result=f"{department.name}已协调落实，问题已解决。", now=start + 8 * step
        )
    services.petition_confirm(
        petition=petition, actor=deputy, public_summary=f"企业{title[:20]}问题已办结", now=start + 10 * step
    )
    services.petition_rate(
        petition=petition, actor=deputy, satisfaction=Satisfaction.SATISFIED, comment="电话回访", now=start + 11 * step
    )
