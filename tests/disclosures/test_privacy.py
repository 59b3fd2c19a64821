"""Privacy crawl: seed rosters with known IDs, phones and bank numbers, crawl every public output."""

from disclosures import services as s
from sunshine.identity import mask_id
from tests.crawl import assert_no_secrets, crawl
from tests.disclosures.helpers import IDS, approve_and_publish, entry, published_roster

PHONE = "13912345678"
BANK = "6222020200001234567"


def test_no_full_id_phone_or_bank_account_on_any_public_output(client, world, categories, crew, county_admin):
    clerk, reviewer, discipline = crew
    pre = published_roster(
        *crew, world.v1, categories["dibao"],
        rows=[
            entry("张三", 500, id_number=IDS[0], bank=BANK, remark=f"电话 {PHONE}"),
            entry("李四", 300, id_number=IDS[1]),
        ],
    )  # fmt: skip
    post = published_roster(
        *crew, world.v1, categories["dibao"], phase="post", pre=pre,
        rows=[entry("张三", 520, id_number=IDS[0], bank=BANK), entry("王五", 100, id_number=IDS[2])],
    )  # fmt: skip
    revision = s.disclosure_open_correction(actor=clerk, disclosure=post, reason="金额更正")
    s.revision_replace_entries(
        actor=clerk, revision=revision,
        entries=[entry("张三", 500, id_number=IDS[0], bank=BANK), entry("王五", 100, id_number=IDS[2], remark=BANK)],
    )  # fmt: skip
    s.disclosure_submit(disclosure=post, actor=clerk)
    approve_and_publish(post, reviewer, discipline)
    # remark is public for 临时救助: a phone or bank number typed into it must still be masked
    published_roster(
        *crew, world.v1, categories["linshi"], period="2026-10-05",
        rows=[entry("赵六", 2000, id_number=IDS[3], remark=f"联系电话{PHONE} 账号 {BANK} 证号{IDS[4]}")],
    )  # fmt: skip
    # masked IDs are allow-listed for 耕地地力保护补贴
    published_roster(*crew, world.v1, categories["gengdi"], period="2026", rows=[entry("钱七", 80, id_number=IDS[4])])
    # taken down: even the name disappears
    gone = published_roster(*crew, world.v1, categories["tekun"], rows=[entry("孙八", 900, id_number="11010119900307")])
    s.disclosure_take_down(disclosure=gone, actor=county_admin, reason="依申请删除")

    pages = crawl(
        client,
        ["/", f"/d/{world.county.code}/", f"/d/{world.county.code}/feed/", f"/d/{world.v1.code}/feed/",
         "/api/v1/disclosures/", f"/d/{world.t1.code}/calendar/"],
    )  # fmt: skip
    visited = "\n".join(pages)
    assert f"/d/{world.v1.code}/dibao/2026-10/post/reconciliation/" in visited
    assert f"/d/{world.v1.code}/dibao/2026-10/post/history/" in visited
    assert f"/d/{world.v1.code}/dibao/2026-10/post/r/1/" in visited
    assert "show=all" in visited and "/entries/" in visited and "/pdf/" in visited
    assert len(pages) > 25

    assert_no_secrets(pages, [*IDS, PHONE, BANK, "孙八"])
    everything = "\n".join(pages.values())
    assert "张三" in everything  # the crawl really reached the rosters
    for number in IDS[:4]:  # no masked ID where the category does not allow-list it
        assert mask_id(number) not in everything
    assert mask_id(IDS[4]) in everything
