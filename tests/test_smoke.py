def test_home_page_answers(client, world):
    response = client.get("/")
    assert response.status_code == 200
    assert "一乡" in response.content.decode()
