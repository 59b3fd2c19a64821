"""The admin story: a clerk adds a roster and types it in; reviewers act with actions (with reasons)."""

import re

from disclosures.models import Disclosure, Revision, RosterEntry, Status
from sunshine.audit.models import AuditEvent
from sunshine.identity import mask_id, person_key
from tests.disclosures.helpers import IDS, draft_roster, published_roster

ACTION_URL = "/admin/disclosures/disclosure/"


def rows_post(revision, rows, title="", version=None, initial=0):
    """The revision page's POST: the inline rows and the version the page was read at (now, by default)."""
    if version is None:
        version = Revision.objects.get(pk=revision.pk).version
    data = {
        "title": title,
        "body": "",
        "version": str(version),
        "entries-TOTAL_FORMS": str(len(rows)),
        "entries-INITIAL_FORMS": str(initial),
        "entries-MIN_NUM_FORMS": "0",
        "entries-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"entries-{i}-{key}"] = value
        data[f"entries-{i}-revision"] = str(revision.pk)
    return data


def test_clerk_adds_a_roster_and_types_it_in(client, world, categories, clerk_v1):
    client.force_login(clerk_v1)
    response = client.post(
        "/admin/disclosures/disclosure/add/",
        {"division": world.v1.pk, "category": categories["dibao"].pk, "period": "2026-11", "phase": "pre"},
    )
    revision = Revision.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/revision/{revision.pk}/change/")
    url = f"/admin/disclosures/revision/{revision.pk}/change/"
    bad = client.post(url, rows_post(revision, [{"name": "张三", "amount": "500", "id_number": "110101199003070012"}]))
    assert bad.status_code == 200 and "身份证号校验位错误" in bad.content.decode()
    assert not RosterEntry.objects.exists()
    ok = client.post(
        url,
        rows_post(
            revision,
            [
                {"name": "张三", "group": "一组", "household_size": "2", "amount": "500", "id_number": IDS[0]},
                {"name": "李四", "group": "一组", "household_size": "1", "amount": "300.50"},
            ],
        ),
    )
    assert ok.status_code == 302, ok.content.decode()[:2000]
    revision.refresh_from_db()
    assert (revision.entry_count, revision.amount_total) == (2, 800.5)
    first = revision.entries.get(name="张三")
    assert (first.person_key, first.id_masked, first.id_encrypted) == (person_key(IDS[0]), mask_id(IDS[0]), "")


def test_bad_period_is_explained_in_the_add_form(client, world, categories, clerk_v1):
    client.force_login(clerk_v1)
    response = client.post(
        "/admin/disclosures/disclosure/add/",
        {"division": world.v1.pk, "category": categories["dibao"].pk, "period": "十一月", "phase": "pre"},
    )
    assert response.status_code == 200 and "格式不对" in response.content.decode()
    assert not Disclosure.objects.exists()


def test_reviewers_act_with_actions_and_reasons(client, world, categories, crew):
    clerk, reviewer, discipline = crew
    disclosure = draft_roster(clerk, world.v1, categories["dibao"])
    client.force_login(clerk)
    client.post(ACTION_URL, {"action": "act_submit", "_selected_action": [disclosure.pk]})
    disclosure.refresh_from_db()
    assert disclosure.status == Status.SUBMITTED
    client.force_login(reviewer)
    form = client.post(ACTION_URL, {"action": "act_return", "_selected_action": [disclosure.pk]})
    assert form.status_code == 200 and 'name="reason"' in form.content.decode()
    client.post(
        ACTION_URL, {"action": "act_return", "_selected_action": [disclosure.pk], "apply": "1", "reason": "缺少证明"}
    )
    disclosure.refresh_from_db()
    assert disclosure.status == Status.RETURNED
    client.force_login(clerk)
    client.post(ACTION_URL, {"action": "act_submit", "_selected_action": [disclosure.pk]})
    client.force_login(reviewer)
    client.post(ACTION_URL, {"action": "act_approve_township", "_selected_action": [disclosure.pk]})
    wrong = client.post(ACTION_URL, {"action": "act_publish", "_selected_action": [disclosure.pk]}, follow=True)
    assert "不能执行" in wrong.content.decode()
    client.force_login(discipline)
    client.post(ACTION_URL, {"action": "act_approve_discipline", "_selected_action": [disclosure.pk]})
    client.post(ACTION_URL, {"action": "act_publish", "_selected_action": [disclosure.pk]})
    disclosure.refresh_from_db()
    assert disclosure.status == Status.PUBLISHED


def test_clerk_has_no_review_actions(client, world, categories, crew):
    disclosure = draft_roster(crew[0], world.v1, categories["dibao"])
    client.force_login(crew[0])
    page = client.get(ACTION_URL).content.decode()
    assert "act_submit" in page and "act_approve_township" not in page and "act_publish" not in page
    client.post(ACTION_URL, {"action": "act_publish", "_selected_action": [disclosure.pk]})
    disclosure.refresh_from_db()
    assert disclosure.status == Status.DRAFT


def test_other_jurisdiction_is_absent(client, world, categories, crew, reviewer_t2, clerk_v3):
    disclosure = draft_roster(crew[0], world.v1, categories["dibao"])
    for user in (reviewer_t2, clerk_v3):
        client.force_login(user)
        assert str(disclosure) not in client.get(ACTION_URL).content.decode()
        response = client.get(f"/admin/disclosures/disclosure/{disclosure.pk}/change/")
        assert response.status_code == 302  # the admin's own "does not exist" redirect
        revision = disclosure.revisions.get()
        assert client.get(f"/admin/disclosures/revision/{revision.pk}/change/").status_code == 302


def test_published_revision_cannot_be_edited_in_the_admin(client, world, categories, crew):
    disclosure = published_roster(*crew, world.v1, categories["dibao"])
    revision = disclosure.current_revision
    client.force_login(crew[0])
    url = f"/admin/disclosures/revision/{revision.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200 and 'name="entries-0-name"' not in page.content.decode()
    response = client.post(url, rows_post(revision, [{"name": "篡改", "amount": "1"}], title="改"))
    assert response.status_code == 403
    assert list(revision.entries.values_list("name", flat=True)) == ["张三"]


def test_changelist_flags_overdue_villages_in_jurisdiction(client, world, categories, reviewer_t1):
    client.force_login(reviewer_t1)
    page = client.get(ACTION_URL).content.decode()
    assert "逾期未公开" in page and "乙村" in page and "丙村" not in page


def test_document_attachment_types_are_checked(client, world, categories, reviewer_t1):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from disclosures import services as s

    revision = s.disclosure_open_draft(
        actor=reviewer_t1, division=world.v1, category=categories["tonggao"], period="2026-11-20"
    )
    url = f"/admin/disclosures/revision/{revision.pk}/change/"
    client.force_login(reviewer_t1)

    def post(name, content):
        return client.post(
            url,
            {
                "title": "通知", "body": "正文", "version": str(Revision.objects.get(pk=revision.pk).version),
                "attachments-TOTAL_FORMS": "1", "attachments-INITIAL_FORMS": "0",
                "attachments-MIN_NUM_FORMS": "0", "attachments-MAX_NUM_FORMS": "1000",
                "attachments-0-title": "附件", "attachments-0-file": SimpleUploadedFile(name, content),
            },
        )  # fmt: skip

    assert "只能是 PDF" in post("a.exe", b"MZ").content.decode()
    assert not revision.attachments.exists()
    assert post("a.pdf", b"%PDF-1.4 test").status_code == 302
    attachment = revision.attachments.get()
    assert (attachment.content_type, attachment.size) == ("application/pdf", 13)


def offered(client, disclosure):
    """The move buttons on a disclosure's change page."""
    page = client.get(f"/admin/disclosures/disclosure/{disclosure.pk}/change/").content.decode()
    return set(re.findall(r'name="action" value="act_(\w+)"', page))


def test_change_page_offers_only_the_moves_available_now(client, world, categories, crew):
    clerk, reviewer, discipline = crew
    disclosure = draft_roster(clerk, world.v1, categories["dibao"])
    client.force_login(clerk)
    page = client.get(f"/admin/disclosures/disclosure/{disclosure.pk}/change/").content.decode()
    assert "提交审核" in page and ">公开<" not in page and 'name="_save"' not in page
    assert offered(client, disclosure) == {"submit"}
    client.force_login(reviewer)
    assert offered(client, disclosure) == {"submit"}  # a reviewer may submit a draft too, not approve it yet
    client.force_login(clerk)
    client.post(ACTION_URL, {"action": "act_submit", "_selected_action": [disclosure.pk], "index": "0"})
    disclosure.refresh_from_db()
    assert disclosure.status == Status.SUBMITTED
    assert offered(client, disclosure) == set()
    client.force_login(reviewer)
    assert offered(client, disclosure) == {"approve_township", "return"}
    client.force_login(discipline)
    assert offered(client, disclosure) == {"return"}


def test_change_page_of_a_published_disclosure(client, world, categories, crew, county_admin, inspector):
    disclosure = published_roster(*crew, world.v1, categories["dibao"])
    client.force_login(crew[0])
    assert offered(client, disclosure) == {"correct"}
    client.force_login(crew[1])
    assert offered(client, disclosure) == {"archive", "correct", "bulletin_regenerate"}  # the reviewer may publish
    client.force_login(county_admin)
    assert offered(client, disclosure) == {"archive", "take_down"}
    client.force_login(inspector)
    assert offered(client, disclosure) == {"take_down"}


def test_actions_and_buttons_come_from_the_move_table(client, world, categories, crew):
    from disclosures.admin import DisclosureAdmin
    from disclosures.models import MOVES

    names = {a.__name__ for a in DisclosureAdmin.actions}
    assert names == {f"act_{m.name}" for m in MOVES.values() if m.perm} | {"act_correct", "act_bulletin_regenerate"}
    assert "act_confirm" not in names  # the tick's move is no button
    draft_roster(crew[0], world.v1, categories["dibao"])
    client.force_login(crew[0])
    page = client.get(ACTION_URL).content.decode()
    assert str(MOVES["submit"].action_label) in page


def test_adding_a_disclosure_under_review_is_explained(client, world, categories, crew):
    disclosure = draft_roster(crew[0], world.v1, categories["dibao"])
    from disclosures import services as s

    s.disclosure_submit(disclosure=disclosure, actor=crew[0])
    client.force_login(crew[0])
    response = client.post(
        "/admin/disclosures/disclosure/add/",
        {"division": world.v1.pk, "category": categories["dibao"].pk, "period": "2026-10", "phase": "pre"},
    )
    assert response.status_code == 200 and "正在审核中" in response.content.decode()


def test_county_admin_edits_a_category_and_it_is_audited(client, categories, county_admin, reviewer_t1):
    from sunshine.audit.models import AuditEvent

    dibao = categories["dibao"]
    url = f"/admin/disclosures/category/{dibao.pk}/change/"
    client.force_login(reviewer_t1)
    assert client.get(url).status_code == 200  # may read
    assert client.post(url, {}).status_code == 403  # may not change
    client.force_login(county_admin)
    data = {
        "slug": "dibao", "name": dibao.name, "kind": "roster", "cadence": "monthly", "objection_days": "10",
        "public_fields": ["name", "group", "amount"], "retention_days": "1095", "review_chain": "reviewer_discipline",
        "column_synonyms": "{}", "description": "", "sort_order": "10", "is_active": "on",
    }  # fmt: skip
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    dibao.refresh_from_db()
    assert (dibao.objection_days, dibao.public_fields) == (10, ["name", "group", "amount"])
    event = AuditEvent.objects.get(action="category.changed")
    assert event.changes["objection_days"] == [7, 10]


def test_revision_page_links_the_import_and_the_review(client, world, categories, clerk_v1):
    disclosure = draft_roster(clerk_v1, world.v1, categories["dibao"])
    client.force_login(clerk_v1)
    page = client.get(f"/admin/disclosures/revision/{disclosure.revisions.get().pk}/change/").content.decode()
    assert "从 Excel 导入名单" in page and f"/admin/disclosures/disclosure/{disclosure.pk}/change/" in page


def test_a_stale_roster_save_is_refused_and_changes_nothing(client, world, categories, clerk_v1, reviewer_t1):
    """Two people open the same draft; the first saves; the second, from the page read before, is refused."""
    disclosure = draft_roster(clerk_v1, world.v1, categories["dibao"])
    revision = disclosure.revisions.get()
    entry_pk = revision.entries.get().pk
    url = f"/admin/disclosures/revision/{revision.pk}/change/"
    read_at = revision.version

    def save(amount):
        row = {"id": str(entry_pk), "name": "张三", "group": "一组", "household_size": "1", "amount": amount}
        return client.post(url, rows_post(revision, [row], version=read_at, initial=1))

    client.force_login(clerk_v1)
    assert save("600").status_code == 302
    edits = AuditEvent.objects.filter(action="revision.entries_edited").count()
    client.force_login(reviewer_t1)
    stale = save("700")
    assert stale.status_code == 200 and "此名单已被他人修改，请刷新后重试" in stale.content.decode()
    revision.refresh_from_db()
    assert str(revision.entries.get().amount) == "600.00"
    assert (revision.version, str(revision.amount_total)) == (read_at + 1, "600.00")
    assert AuditEvent.objects.filter(action="revision.entries_edited").count() == edits


def test_a_save_that_goes_stale_after_validation_is_rolled_back(client, world, categories, clerk_v1, monkeypatch):
    """The form's early check can pass just before someone else saves; the service's check under the lock
    still refuses, and the title saved earlier in the same request is undone with it."""
    from django import forms

    from disclosures import services as s
    from disclosures.admin import RevisionForm

    disclosure = draft_roster(clerk_v1, world.v1, categories["dibao"])
    revision = disclosure.revisions.get()
    read_at = revision.version
    s.revision_update_content(actor=clerk_v1, revision=revision, body="别人刚改过")  # someone else, meanwhile
    monkeypatch.setattr(RevisionForm, "clean", forms.ModelForm.clean)  # as if validated before that save
    client.force_login(clerk_v1)
    response = client.post(
        f"/admin/disclosures/revision/{revision.pk}/change/",
        rows_post(revision, [{"name": "李四", "amount": "300"}], title="新标题", version=read_at),
        follow=True,
    )
    assert "此名单已被他人修改，请刷新后重试" in response.content.decode()
    revision.refresh_from_db()
    assert (revision.title, revision.body, revision.version) == ("", "别人刚改过", read_at + 1)
    assert list(revision.entries.values_list("name", flat=True)) == ["张三"]


def test_title_and_rows_saved_together_bump_the_version_once_each(client, world, categories, clerk_v1):
    disclosure = draft_roster(clerk_v1, world.v1, categories["dibao"])
    revision = disclosure.revisions.get()
    read_at = revision.version
    client.force_login(clerk_v1)
    response = client.post(
        f"/admin/disclosures/revision/{revision.pk}/change/",
        rows_post(revision, [{"name": "李四", "amount": "300"}], title="十月低保", version=read_at),
    )
    assert response.status_code == 302
    revision.refresh_from_db()
    assert (revision.title, revision.entry_count, revision.version) == ("十月低保", 2, read_at + 2)


def test_correct_action_opens_a_correction(client, world, categories, crew):
    disclosure = published_roster(*crew, world.v1, categories["dibao"])
    client.force_login(crew[0])
    response = client.post(
        ACTION_URL,
        {"action": "act_correct", "_selected_action": [disclosure.pk], "apply": "1", "reason": "金额有误"},
        follow=True,
    )
    correction = disclosure.revisions.get(number=2)
    assert (correction.state, correction.reason) == ("draft", "金额有误")
    assert f"/admin/disclosures/revision/{correction.pk}/change/" in response.content.decode()
    assert offered(client, disclosure) == {"submit", "correct"}  # the correction is a draft; 更正 goes back to it


def test_category_admin_saves_through_the_service(client, db, county_admin, monkeypatch):
    from disclosures import services as s

    calls = []
    real = s.category_save
    monkeypatch.setattr(s, "category_save", lambda **kw: calls.append(kw) or real(**kw))
    client.force_login(county_admin)
    data = {
        "slug": "jiuye", "name": "就业补贴", "kind": "roster", "cadence": "monthly", "objection_days": "7",
        "public_fields": ["name", "amount"], "review_chain": "reviewer_only", "column_synonyms": "{}",
        "description": "", "sort_order": "90", "is_active": "on",
    }  # fmt: skip
    assert client.post("/admin/disclosures/category/add/", data).status_code == 302
    assert [c["actor"] for c in calls] == [county_admin]
    event = AuditEvent.objects.get(action="category.created")
    assert event.changes["name"] == [None, "就业补贴"]
