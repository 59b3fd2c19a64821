"""The staff API: upload, poll the preview, confirm; scoped to the jurisdiction; no full IDs in any response."""

import io

import pytest
from rest_framework.test import APIClient

from disclosures.models import ImportJob, ImportStatus, RosterEntry

from .corpus import HEADER, PEOPLE, bad_checksum_id, standard_rows
from .factories import roster_category
from .test_services import roster_file, upload

CHECKSUM_ADVICE = (
    "校验位错误：第 18 位与前 17 位算出的不一致，通常是其中某一位抄错了或两位颠倒了，请对照身份证或户口簿逐位核对"
)
URL = "/api/v1/staff/roster-imports/"


@pytest.fixture
def dibao(db):
    return roster_category()


def api_as(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def post_file(client, data, name="名单.xlsx", **extra):
    handle = io.BytesIO(data)
    handle.name = name
    fields = {"village": "990101001000", "category": "dibao", "period": "2026-11", "phase": "pre", "file": handle}
    return client.post(URL, {**fields, **extra}, format="multipart")


def test_upload_preview_confirm(world, dibao, clerk_v1):
    client = api_as(clerk_v1)
    response = post_file(client, roster_file())
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "ready" and body["result"]["counts"]["valid"] == 3
    assert client.get(f"{URL}{body['id']}/").json()["status"] == "ready"

    response = client.post(f"{URL}{body['id']}/confirm/", {}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "imported"
    assert RosterEntry.objects.count() == 3
    for _name, id_number, *_ in PEOPLE:
        assert id_number not in response.content.decode() and id_number not in str(body)


def test_errors_are_listed_and_block_confirmation(world, dibao, clerk_v1):
    rows = [HEADER, *standard_rows()]
    rows[-1][2] = bad_checksum_id(13)
    client = api_as(clerk_v1)
    body = post_file(client, roster_file(rows)).json()
    assert body["status"] == "invalid"
    assert body["result"]["errors"] == [
        {
            "row": 4,
            "name": "王五",
            "column": "身份证号码",
            "message": f"写的是 35*************130，{CHECKSUM_ADVICE}",
            "text": f"第 4 行 王五 的「身份证号码」写的是 35*************130，{CHECKSUM_ADVICE}",
        }
    ]
    response = client.post(f"{URL}{body['id']}/confirm/", {}, format="json")
    assert response.status_code == 400
    assert not RosterEntry.objects.exists()


def test_a_bad_file_is_a_400_with_one_message(world, dibao, clerk_v1):
    response = post_file(api_as(clerk_v1), "不是表格".encode(), name="名单.xlsx")
    assert response.status_code == 400
    (message,) = response.json()["file"]
    assert "扩展名是 .xlsx，但内容不是电子表格" in message
    assert not ImportJob.objects.exists()


def test_outside_the_jurisdiction(world, dibao, clerk_v1, clerk_v3):
    job = upload(clerk_v1, world.v1)
    client = api_as(clerk_v3)
    assert client.get(f"{URL}{job.pk}/").status_code == 404
    assert client.post(f"{URL}{job.pk}/confirm/", {}, format="json").status_code == 404
    assert client.get(URL).json()["results"] == []
    assert post_file(client, roster_file()).status_code == 403
    job.refresh_from_db()
    assert job.status == ImportStatus.READY


def test_anonymous_is_refused(world, dibao):
    assert APIClient().get(URL).status_code in (401, 403)


def test_sheet_choice(world, dibao, clerk_v1):
    data = roster_file(sheets={"甲": [HEADER, *standard_rows()], "乙": [HEADER, standard_rows()[0]]})
    client = api_as(clerk_v1)
    body = post_file(client, data).json()
    assert body["status"] == "pending" and body["result"]["sheets"] == ["甲", "乙"]
    body = client.post(f"{URL}{body['id']}/sheet/", {"sheet": "乙"}, format="json").json()
    assert body["status"] == "ready" and body["result"]["counts"]["rows"] == 1


def test_template_download(world, dibao, clerk_v1):
    response = api_as(clerk_v1).get(f"{URL}templates/dibao/")
    assert response.status_code == 200 and response.content[:2] == b"PK"


def test_the_job_lists_the_moves_available_now_and_their_routes(world, dibao, clerk_v1, inspector):
    clerk = api_as(clerk_v1)
    body = post_file(clerk, roster_file()).json()
    assert body["moves"] == [{"name": "confirm", "label": "确认导入", "path": "confirm"}]
    assert api_as(inspector).get(f"{URL}{body['id']}/").json()["moves"] == []  # may read, may not import

    body = clerk.post(f"{URL}{body['id']}/confirm/", {}, format="json").json()
    assert body["status"] == "imported" and body["moves"] == []
    response = clerk.post(f"{URL}{body['id']}/confirm/", {}, format="json")
    assert response.status_code == 400 and "已经导入过" in str(response.json())


def test_a_large_upload_shows_its_validation_task_until_it_is_done(world, dibao, clerk_v1, settings, run_tasks):
    from django_tasks_db.models import DBTaskResult

    settings.ROSTER_IMPORT_SYNC_ROWS = 1
    client = api_as(clerk_v1)
    body = post_file(client, roster_file()).json()
    assert body["status"] == "pending"
    assert body["validation_task"] == {"status": "READY", "attempts": 0, "reason": "", "final": False}

    DBTaskResult.objects.update(
        status="FAILED", worker_ids=["w1"], exception_class_path="builtins.MemoryError", traceback="MemoryError"
    )
    task = client.get(f"{URL}{body['id']}/").json()["validation_task"]
    assert task == {"status": "FAILED", "attempts": 1, "reason": "MemoryError", "final": True}

    DBTaskResult.objects.update(status="READY", worker_ids=[], exception_class_path="", traceback="")
    run_tasks()
    done = client.get(f"{URL}{body['id']}/").json()
    assert done["status"] == "ready" and done["validation_task"] is None
