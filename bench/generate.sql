-- A province: 1 → 10 cities → 50 districts → 500 streets → 5,000 points; 100,000 people;
-- 50,000 enterprises; 1,000,000 requests over three years with their timelines.
-- :scale multiplies the requests (1.0 for the full set). Runs in one transaction.

INSERT INTO points_industrychain (id, name, code, description) VALUES (1, '智能网联新能源汽车', 'nev', '');
INSERT INTO points_chainsegment (chain_id, name, "order")
SELECT 1, s, n FROM unnest(ARRAY['整车','传动系统','控制器','电池','电机','汽车电子','零部件']) WITH ORDINALITY AS t(s, n);

INSERT INTO points_organisation (id, name, kind, parent_id) VALUES (1, '省人大常委会办公厅', 'province', NULL);
INSERT INTO points_organisation (id, name, kind, parent_id)
SELECT 1 + g, '市人大' || g, 'city', 1 FROM generate_series(1, 10) g;
INSERT INTO points_organisation (id, name, kind, parent_id)
SELECT 11 + g, '区人大办' || g, 'district', 2 + (g - 1) % 10 FROM generate_series(1, 50) g;
INSERT INTO points_organisation (id, name, kind, parent_id)
SELECT 61 + g, '街道工委' || g, 'street', 12 + (g - 1) % 50 FROM generate_series(1, 500) g;

INSERT INTO points_enterprise (id, name, credit_code, chain_id, segment_id, chain_role, contact_name, contact_phone, address)
SELECT g, '链上企业' || g || '有限公司', '91500' || lpad(g::text, 13, '0'), 1, NULL, 'supplier', '', '', ''
FROM generate_series(1, 50000) g;

INSERT INTO points_liaisonpoint (id, organisation_id, name, code, host_enterprise_id, chain_id, address, opened_on, active,
    rules, reception_process, reception_day, reception_rule, has_office_equipment, has_display_screen, rules_posted,
    ledger_kept, has_seat_signs, has_signboard, qr_token, qr_rotated_at)
SELECT g, 62 + (g - 1) % 500, '人大代表活动点' || g, 'p' || g, g, 1, '地址' || g, DATE '2023-01-15', true,
    '制度', '流程', 15, 'next_workday', true, true, true, true, true, true, 'qr' || g, NULL
FROM generate_series(1, 5000) g;

-- Accounts: a head for every point, a handler for every department, staff for every organisation.
INSERT INTO auth_user (id, password, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined)
SELECT g, '!', false, 'u' || g, '', '', '', true, true, now() FROM generate_series(1, 5611) g;
INSERT INTO deputies_person (id, name, kind, level, employer, title, phone, phone_public, photo, user_id, active)
SELECT g, '代表' || g, CASE WHEN g <= 5000 THEN 'deputy' WHEN g % 3 = 0 THEN 'grid_worker' ELSE 'consultative' END,
    CASE WHEN g <= 5000 THEN 'district' ELSE '' END, '单位' || g, '', '139' || lpad(g::text, 8, '0'), false, '',
    CASE WHEN g <= 5000 THEN g END, true
FROM generate_series(1, 100000) g;
INSERT INTO deputies_station (person_id, point_id, role, since, until)
SELECT g, 1 + (g - 1) % 5000, CASE WHEN g <= 5000 THEN 'head' ELSE 'member' END, DATE '2023-01-01', NULL
FROM generate_series(1, 100000) g;
INSERT INTO points_organisation_staff (organisation_id, user_id) SELECT g, 5050 + g FROM generate_series(1, 561) g;

INSERT INTO petitions_department (id, name, organisation_id, phone, platform_id, active)
SELECT g, '承办单位' || g, 1, '', NULL, true FROM generate_series(1, 50) g;
INSERT INTO petitions_department_handlers (department_id, user_id) SELECT g, 5000 + g FROM generate_series(1, 50) g;

CREATE TEMP TABLE gen AS
SELECT g,
       (1 + (g::bigint * 7919) % 5000)::int AS point,
       (now() - make_interval(secs => (g::bigint * 104729 % 94608000)::double precision))::timestamptz AS sub,
       (g::bigint * 2654435761 % 1000) / 1000.0 AS r
FROM generate_series(1, (1000000 * :scale)::int) g;

INSERT INTO petitions_petition (id, number, access_token, submission_key, point_id, channel, enterprise_id, enterprise_name,
    contact_name, contact_phone, category, title, content, status, deputy_id, department_id, reception_day_id,
    merged_into_id, submitted_at, accepted_at, dispatched_at, resolved_at, closed_at, due_date, reply_due, resolution,
    satisfaction, reopen_count, escalation_level, created_by_id, updated_at, public_summary)
SELECT g, 'B' || lpad(g::text, 9, '0'), md5(g::text || 'secret'), NULL, point,
    (ARRAY['qr','reception','visit','phone'])[1 + g % 4], 1 + g % 50000, '链上企业' || (1 + g % 50000) || '有限公司',
    '联系人', '138' || lpad((g % 100000000)::text, 8, '0'),
    (ARRAY['policy','finance','labour','land','transport','infrastructure','education','other'])[1 + g % 8],
    '诉求标题' || g, '诉求内容：企业反映的问题和希望得到的帮助，编号 ' || g,
    CASE WHEN r < 0.85 THEN 'closed' WHEN r < 0.88 THEN 'resolved' WHEN r < 0.90 THEN 'rejected'
         WHEN r < 0.92 THEN 'in_progress' WHEN r < 0.94 THEN 'dispatched' WHEN r < 0.97 THEN 'accepted'
         ELSE 'submitted' END,
    CASE WHEN r < 0.90 AND r >= 0.88 THEN NULL WHEN r < 0.97 THEN point END,
    CASE WHEN (r < 0.88 AND g % 5 < 3) OR (r >= 0.90 AND r < 0.94) THEN 1 + g % 50 END,
    NULL, NULL, sub,
    CASE WHEN r < 0.97 AND NOT (r >= 0.88 AND r < 0.90) THEN sub + interval '3 hours' END,
    CASE WHEN (r < 0.88 AND g % 5 < 3) OR (r >= 0.90 AND r < 0.94) THEN sub + interval '5 hours' END,
    CASE WHEN r < 0.88 THEN sub + make_interval(days => 1 + g % 15) END,
    CASE WHEN r < 0.85 THEN sub + make_interval(days => 2 + g % 15) WHEN r < 0.90 AND r >= 0.88 THEN sub + interval '4 hours' END,
    CASE WHEN r >= 0.90 THEN (sub + make_interval(days => 1 + g % 10))::date END,
    CASE WHEN (r < 0.88 AND g % 5 < 3) OR (r >= 0.90 AND r < 0.94) THEN (sub + interval '14 days')::date END,
    CASE WHEN r < 0.88 THEN '已办结' ELSE '' END,
    CASE WHEN r < 0.85 THEN (ARRAY['satisfied','satisfied','basic'])[1 + g % 3] ELSE '' END,
    0, 0, NULL, sub, CASE WHEN r < 0.88 THEN '企业诉求已办结' ELSE '' END
FROM gen;

-- Deadlines by the day end at the day's last instant in the portal's zone (petitions.deadlines).
UPDATE petitions_petition
SET due_at = CASE WHEN due_date IS NOT NULL
                  THEN ((due_date + 1)::timestamp AT TIME ZONE 'Asia/Shanghai') - interval '1 microsecond' END,
    reply_due_at = CASE WHEN reply_due IS NOT NULL
                  THEN ((reply_due + 1)::timestamp AT TIME ZONE 'Asia/Shanghai') - interval '1 microsecond' END
WHERE due_date IS NOT NULL OR reply_due IS NOT NULL;

INSERT INTO petitions_petitionevent (petition_id, action, from_status, to_status, actor_id, actor_label, text, public, created_at)
SELECT g, 'submit', '', 'submitted', NULL, '企业', '扫码线上', true, sub FROM gen;
INSERT INTO petitions_petitionevent (petition_id, action, from_status, to_status, actor_id, actor_label, text, public, created_at)
SELECT id, 'accept', 'submitted', 'accepted', deputy_id, '代表', '', true, accepted_at FROM petitions_petition WHERE accepted_at IS NOT NULL;
INSERT INTO petitions_petitionevent (petition_id, action, from_status, to_status, actor_id, actor_label, text, public, created_at)
SELECT id, 'dispatch', 'accepted', 'dispatched', deputy_id, '代表', '交办', true, dispatched_at FROM petitions_petition WHERE dispatched_at IS NOT NULL;
INSERT INTO petitions_petitionevent (petition_id, action, from_status, to_status, actor_id, actor_label, text, public, created_at)
SELECT id, CASE WHEN dispatched_at IS NULL THEN 'resolve_on_site' ELSE 'reply' END, 'accepted', 'resolved', NULL, '代表',
       '已办结', true, resolved_at FROM petitions_petition WHERE resolved_at IS NOT NULL;
INSERT INTO petitions_petitionevent (petition_id, action, from_status, to_status, actor_id, actor_label, text, public, created_at)
SELECT id, CASE WHEN status = 'rejected' THEN 'reject' ELSE 'confirm' END, CASE WHEN status = 'rejected' THEN 'submitted' ELSE 'resolved' END,
       status, NULL, '代表', '', true, closed_at FROM petitions_petition WHERE closed_at IS NOT NULL;

INSERT INTO petitions_petitioncounter (point_id, year, last) SELECT id, 2026, 1000000 FROM points_liaisonpoint;

SELECT setval(pg_get_serial_sequence(t, 'id'), (SELECT coalesce(max(id), 1) FROM points_liaisonpoint) + 0, true)
FROM (VALUES ('points_liaisonpoint')) v(t);
