"""Shared fixtures. Qt must be told to render offscreen before PySide6 is imported anywhere."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.pop("FIELDARCHIVE_PASSPHRASE", None)

import datetime as dt  # noqa: E402
import sys  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import keyring  # noqa: E402
import keyring.backend  # noqa: E402
import keyring.errors  # noqa: E402
import pytest  # noqa: E402

from app import i18n, paths  # noqa: E402

PASSPHRASE = "correct horse battery staple"


class MemoryKeyring(keyring.backend.KeyringBackend):
    """An in-memory keyring for tests (headless Linux has no real backend)."""

    priority = 10  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.store:
            raise keyring.errors.PasswordDeleteError(username)
        del self.store[(service, username)]


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    kr = MemoryKeyring()
    keyring.set_keyring(kr)
    try:
        yield kr
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def no_keyring() -> Iterator[None]:
    from keyring.backends import fail

    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        yield
    finally:
        keyring.set_keyring(previous)


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test gets its own FieldArchive home folder and the default language."""
    h = tmp_path / "home"
    monkeypatch.setenv(paths.ENV_HOME, str(h))
    paths.set_home(None)
    i18n.set_language("zh_CN")
    yield h
    paths.set_home(None)
    i18n.set_language("zh_CN")


def pytest_runtest_teardown(item: pytest.Item) -> None:
    """A test that made Qt's bare QGuiApplication (the command line's offscreen one, app/export/pdf.py) would
    abort every later widget test in its process ("Cannot create a QWidget without QApplication"): say which
    test did it, at once (such a test uses pytest-qt's ``qapp``)."""
    gui = sys.modules.get("PySide6.QtGui")
    widgets = sys.modules.get("PySide6.QtWidgets")
    if gui is not None:
        app = gui.QGuiApplication.instance()
        if app is not None and (widgets is None or not isinstance(app, widgets.QApplication)):
            pytest.fail(f"{item.nodeid} left a QGuiApplication: use the qapp fixture before writing a PDF")


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:  # noqa: F811 - a second implementation, run last
    """After the test's fixtures are gone: delete every window and dialog it left (pytest-qt closes the
    widgets a test registered and asks Qt to delete them later, which a test run never gets to). Left alive,
    they added up to hundreds per test process, and each later style or language change (every unlock
    applies both) went through all of them: the same main window took 3–9 s to open late in a run instead
    of 0.6 s."""
    widgets = sys.modules.get("PySide6.QtWidgets")
    if widgets is None or not isinstance(app := widgets.QApplication.instance(), widgets.QApplication):
        return
    core = sys.modules["PySide6.QtCore"]
    for w in app.topLevelWidgets():
        w.close()
        w.deleteLater()
    app.sendPostedEvents(None, core.QEvent.Type.DeferredDelete)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Make ``--dist loadgroup`` group again: pytest-xdist 3.8 marks a test of an ``xdist_group`` by setting
    ``item._nodeid`` (``…::test@group``), which pytest 9 no longer reads (the node id is ``item._id``), so the
    group's tests were spread over the workers and each built the group's shared fixture (the 100k archive of
    tests/ui/test_list_model.py, 18 s) again. Runs after xdist's own hook, in each worker."""
    for item in items:
        wanted = item.__dict__.get("_nodeid")
        node_id = getattr(item, "_id", None)
        if isinstance(wanted, str) and node_id is not None and wanted != item.nodeid:
            item._id = type(node_id).parse(wanted)


#: Argon2id at its smallest for tests that do not test the KDF: an archive is created or unlocked in
#: hundreds of tests, and the real parameters (64 MiB, 3 passes) cost about 0.25 s of CPU each time.
#: The parameters are kept in each key slot, so such an archive unlocks with them anywhere.
#: Tests of the KDF itself are marked ``real_kdf``.
CHEAP_KDF = {"name": "argon2id", "m": 1024, "t": 1, "p": 1}


@pytest.fixture(autouse=True)
def cheap_kdf(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if request.node.get_closest_marker("real_kdf") is None:
        from app.storage import keys

        monkeypatch.setattr(keys, "PASSPHRASE_KDF", CHEAP_KDF)
        monkeypatch.setattr(keys, "RECOVERY_KDF", CHEAP_KDF)


@pytest.fixture
def form():
    from app.models.catalogue import load_form

    return load_form()


@pytest.fixture
def today() -> dt.date:
    return dt.date(2026, 11, 22)


@pytest.fixture
def session(home: Path):
    from app.services import session as ss

    s, _code = ss.create(passphrase=PASSPHRASE, actor="tester")
    yield s
    s.close()


from hypothesis import HealthCheck, settings as hsettings  # noqa: E402, I001

# The autouse ``home`` fixture is function-scoped; property tests do not depend on it.
hsettings.register_profile("fieldarchive", suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
hsettings.load_profile("fieldarchive")
