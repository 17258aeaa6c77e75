from tests.portal.conftest import csrf_from


def test_an_indonesian_patient_sees_indonesian(recovering, invite, phone):
    journey = recovering(language="id")
    patient = phone()
    token = invite(journey)
    link = patient.page(f"/portal/i/{token}")
    assert '<html lang="id">' in link and "Lanjutkan" in link
    patient.open(token)
    home = patient.page("/portal/")
    assert f"Halo, {journey.patient.given_name}" in home
    assert "Catat nyeri hari ini" in home
    form = patient.page("/portal/check-in")
    assert "Nyeri punggung sekarang" in form and "Kirim" in form
    refused = patient.check_in(back_pain="12")
    assert "Pilih angka dari 0 sampai 10." in refused.get_data(as_text=True)
    advice = patient.page("/portal/advice")
    assert "Telepon klinik" in advice


def test_the_switch_changes_the_language_and_beats_the_preference(recovering, invite, phone):
    journey = recovering(language="id")
    patient = phone()
    patient.open(invite(journey))
    html = patient.page("/portal/")
    response = patient.client.post(
        "/portal/language",
        data={"language": "en", "next": "/portal/", "csrf_token": csrf_from(html)},
    )
    assert response.status_code == 303 and response.headers["Location"] == "/portal/"
    assert f"Hello, {journey.patient.given_name}" in patient.page("/portal/")
    away = patient.client.post(
        "/portal/language",
        data={"language": "id", "next": "https://evil.example/", "csrf_token": csrf_from(html)},
    )
    assert away.headers["Location"] == "/portal/"


def test_before_signing_in_the_browser_language_counts(phone):
    patient = phone()
    page = patient.get("/portal/", headers={"Accept-Language": "id-ID,id;q=0.9"})
    assert page.status_code == 401
    assert "Buka tautan Anda" in page.get_data(as_text=True)
    english = patient.get("/portal/", headers={"Accept-Language": "en-GB"})
    assert "Open your link" in english.get_data(as_text=True)
