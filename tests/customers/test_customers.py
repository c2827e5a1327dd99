import json

from backend.customers import services
from backend.extensions import db
from tests.factories import make_customer, make_order

NEW_CUSTOMER = {
    "name": "林秀英",
    "title": "女士",
    "phones": ["13905910001"],
    "address": "福州市台江区八一七中路88号",
    "account_no": "FZ20260001",
    "area": "台江区",
    "branch": "福州",
}


def test_search_finds_by_name_phone_and_account():
    lin = make_customer(name="林志强", phones=["13800001111"], account_no="FZ-A-1")
    make_customer(name="黄美玲", phones=["13900002222"], account_no="FZ-A-2")

    def found(q):
        return [c.id for c in db.session.scalars(services.search_query(q=q))]

    assert found("志强") == [lin.id]
    assert found("00001111") == [lin.id]
    assert found("FZ-A-1") == [lin.id]
    assert found("%") == []  # wildcards are searched literally


def test_two_characters_find_a_given_name_or_part_of_an_address_but_not_two_digits_of_a_phone():
    # Two characters are served by the bigram indexes on PostgreSQL, LIKE on SQLite: the same answers.
    lin = make_customer(name="林志强", phones=["13800001111"], address="福州市台江区八一七中路88号")
    huang = make_customer(name="黄美玲", phones=["13900002222"], address="福州市鼓楼区五四路1号")

    def found(q):
        return [c.id for c in db.session.scalars(services.search_query(q=q))]

    assert found("志强") == [lin.id]
    assert found("五四") == [huang.id]
    assert found("11") == []  # two digits of a phone would match nearly everyone
    assert found("111") == [lin.id]
    assert found("%强") == []
    assert found("1111") == [lin.id] and found("0000 1111") == []  # spaces are searched as typed


def test_a_search_is_routed_by_its_shape_digits_to_phones_and_account_numbers():
    lin = make_customer(name="林志强", phones=["13800001111"], address="福州市台江区八一七中路188号", account_no="188")

    def found(q):
        return [c.id for c in db.session.scalars(services.search_query(q=q))]

    assert found("188") == [lin.id]  # the account number, not the house number
    lin.account_no = "FZ-188"
    db.session.commit()
    assert found("188") == []  # digits only are part of a phone or an account number
    assert found("188号") == [lin.id] and found("中路188") == [lin.id]  # with characters, the address
    assert found("0000 1111") == [] and found("00001111") == [lin.id]


def test_a_broad_search_counts_up_to_the_limit_and_says_more_match(client, make_user, auth_headers, monkeypatch):
    monkeypatch.setattr(services, "SEARCH_COUNT_LIMIT", 2)
    headers = auth_headers(make_user("dispatcher"))
    ids = sorted(make_customer(name=f"王秀{n}").id for n in range(4))

    def search(page):
        response = client.get(f"/api/v1/customers?q=王秀&page_size=1&page={page}", headers=headers)
        assert response.status_code == 200
        return [c["id"] for c in response.get_json()], json.loads(response.headers["X-Pagination"])

    first, pagination = search(1)
    assert first == ids[:1]
    # Counted up to 2 past the first row: more match, and the next page is there.
    assert pagination["total"] == 2 and pagination["total_capped"] is True and pagination["next_page"] == 2
    third, pagination = search(3)
    assert third == ids[2:3]
    assert pagination["total"] == 4 and "total_capped" not in pagination  # counted to the end from here
    assert search(5) == ([], {"total": 4, "total_pages": 4, "first_page": 1, "last_page": 4})


def test_a_broad_search_lists_in_registration_order_a_narrow_one_by_name(client, make_user, auth_headers, monkeypatch):
    # Sorting every match by name is what made a broad search slow (all of 福州 at 500k
    # customers); past the count's bound the page is read in id order, which an index yields.
    monkeypatch.setattr(services, "SEARCH_COUNT_LIMIT", 2)
    headers = auth_headers(make_user("dispatcher"))
    registered = [make_customer(name=name).id for name in ("王秀英", "王秀兰", "王秀芳", "王秀珍")]
    by_name = [i for _, i in sorted(zip(("王秀英", "王秀兰", "王秀芳", "王秀珍"), registered, strict=True))]
    assert by_name != registered  # the data tells the two orders apart

    def search(q):
        response = client.get("/api/v1/customers", query_string={"q": q, "page_size": 10}, headers=headers)
        return [c["id"] for c in response.get_json()], json.loads(response.headers["X-Pagination"])

    broad, pagination = search("王秀")
    assert pagination.get("total_capped") is True and broad == registered
    narrow, pagination = search("王秀英")
    assert "total_capped" not in pagination and narrow == [registered[0]]
    monkeypatch.setattr(services, "SEARCH_COUNT_LIMIT", 10)
    uncapped, _ = search("王秀")
    assert uncapped == by_name


def test_dispatcher_creates_lists_and_corrects_a_customer(client, make_user, auth_headers):
    headers = auth_headers(make_user("dispatcher"))
    created = client.post("/api/v1/customers", json=NEW_CUSTOMER, headers=headers)
    assert created.status_code == 201
    customer_id = created.get_json()["id"]

    listed = client.get("/api/v1/customers?q=秀英", headers=headers)
    assert [c["id"] for c in listed.get_json()] == [customer_id]
    assert '"total": 1' in listed.headers["X-Pagination"]

    patched = client.patch(f"/api/v1/customers/{customer_id}", json={"phones": ["13905910002"]}, headers=headers)
    assert patched.status_code == 200 and patched.get_json()["phones"] == ["13905910002"]
    assert patched.get_json()["name"] == "林秀英"


def test_duplicate_account_number_is_409(client, make_user, auth_headers):
    headers = auth_headers(make_user("dispatcher"))
    assert client.post("/api/v1/customers", json=NEW_CUSTOMER, headers=headers).status_code == 201
    again = client.post("/api/v1/customers", json={**NEW_CUSTOMER, "name": "别人"}, headers=headers)
    assert again.status_code == 409 and again.get_json()["code"] == "account_no_taken"


def test_manager_reads_but_does_not_write(client, make_user, auth_headers):
    headers = auth_headers(make_user("manager"))
    customer = make_customer()
    assert client.get("/api/v1/customers", headers=headers).status_code == 200
    assert client.get(f"/api/v1/customers/{customer.id}", headers=headers).status_code == 200
    assert client.post("/api/v1/customers", json=NEW_CUSTOMER, headers=headers).status_code == 403
    assert client.patch(f"/api/v1/customers/{customer.id}", json={"name": "x"}, headers=headers).status_code == 403


def test_technician_sees_only_customers_of_own_orders(client, make_user, auth_headers):
    dispatcher, me, other = make_user("dispatcher"), make_user("technician"), make_user("technician")
    mine, theirs = make_customer(), make_customer()
    make_order(dispatcher, mine).technician_id = me.id
    make_order(dispatcher, theirs).technician_id = other.id
    db.session.commit()
    headers = auth_headers(me)
    assert client.get(f"/api/v1/customers/{mine.id}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/customers/{theirs.id}", headers=headers).status_code == 404
    assert client.get("/api/v1/customers", headers=headers).status_code == 403
    assert client.patch(f"/api/v1/customers/{mine.id}", json={"name": "x"}, headers=headers).status_code == 403
    assert client.post("/api/v1/customers", json=NEW_CUSTOMER, headers=headers).status_code == 403


def test_no_token_is_401(client):
    assert client.get("/api/v1/customers").status_code == 401
    assert client.get("/api/v1/customers/1").status_code == 401
    assert client.post("/api/v1/customers", json=NEW_CUSTOMER).status_code == 401
    assert client.get("/api/v1/customers", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_a_title_the_scripts_do_not_know_is_refused_naming_the_field(client, make_user, auth_headers):
    headers = auth_headers(make_user("dispatcher"))
    refused = client.post("/api/v1/customers", json={**NEW_CUSTOMER, "title": "male"}, headers=headers)
    assert refused.status_code == 422 and "title" in refused.get_json()["errors"]["json"]
    unknown = client.post("/api/v1/customers", json={**NEW_CUSTOMER, "title": None}, headers=headers)
    assert unknown.status_code == 201 and unknown.get_json()["title"] is None
