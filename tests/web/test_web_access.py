"""Who may open what: clinical pages for coordinators and clinicians, user pages for admins."""

from tests.web.conftest import text

USER_PAGES = ("/admin/users", "/admin/users/new")


def test_clinical_staff_cannot_manage_users(browser, make_user, coordinator):
    clinician = make_user("clinician")
    for user in (clinician, coordinator):
        browser.sign_in(user)
        for url in (*USER_PAGES, f"/admin/users/{user.id}"):
            response = browser.get(url)
            assert response.status_code == 403, (user.role, url)
            assert "You do not have access to this page" in text(response)
        response = browser.client.post(
            f"/admin/users/{user.id}",
            data={"csrf_token": browser.token("/"), "name": "x", "role": "admin"},
        )
        assert response.status_code == 403
        assert (
            "Users" not in text(browser.get("/")).split("</nav>")[0].split('aria-label="Main"')[1]
        )
        browser.sign_out()


def test_admins_cannot_open_clinical_pages(as_admin, make_patient):
    patient = make_patient()
    for url in (
        "/patients",
        "/patients/board",
        "/patients/new",
        f"/patients/{patient.id}",
        f"/patients/{patient.id}/edit",
    ):
        response = as_admin.get(url)
        assert response.status_code == 403, url
        assert "Only coordinators and clinicians" in text(response)


def test_a_clinician_works_with_patients(browser, make_user, make_patient):
    patient = make_patient()
    browser.sign_in(make_user("clinician"))
    assert browser.get("/").status_code == 200
    assert browser.get(f"/patients/{patient.id}").status_code == 200


def test_missing_patient_is_a_404_page(as_coordinator):
    for url in ("/patients/999999", "/patients/999999/edit"):
        response = as_coordinator.get(url)
        assert response.status_code == 404
        html = text(response)
        assert "Page not found" in html and "There is no patient with this number." in html
        assert 'href="/static/css/app.css"' in html  # the full page, not a bare error


def test_unknown_url_is_a_404_page(as_coordinator):
    response = as_coordinator.get("/no/such/page")
    assert response.status_code == 404 and "Page not found" in text(response)
