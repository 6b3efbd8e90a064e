"""Deployment files (docs/deploy.md): the first-start hook, the YAML, Binder's postBuild.

Nothing here builds an image or talks to a cluster; these check what can be checked locally.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[1]
HOOK = ROOT / "deploy" / "copy-notebooks.sh"
DISABLED = [
    "jupyter labextension disable --level=sys_prefix @jupyter/nbgrader:create-assignment",
    "jupyter labextension disable --level=sys_prefix @jupyter/nbgrader:formgrader",
    "jupyter labextension disable --level=sys_prefix @jupyter/nbgrader:course-list",
    "jupyter server extension disable --sys-prefix nbgrader.server_extensions.formgrader",
]


def _run_hook(home: Path, src: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("NB_UID", "NB_GID")}
    env.update(HOME=str(home), MESATOYS_NOTEBOOKS_SRC=str(src))
    env.pop("MESATOYS_NOTEBOOKS_DEST", None)
    return subprocess.run(
        ["bash", str(HOOK)], env=env, capture_output=True, text=True, check=True, timeout=30
    )


@pytest.fixture
def image_notebooks(tmp_path):
    src = tmp_path / "opt" / "notebooks"
    src.mkdir(parents=True)
    (src / "00_start_here.ipynb").write_text("original 00", encoding="utf-8")
    (src / "01_x.ipynb").write_text("original 01", encoding="utf-8")
    return src


def test_hook_copies_the_notebooks_on_first_start(tmp_path, image_notebooks):
    home = tmp_path / "home"
    home.mkdir()
    _run_hook(home, image_notebooks)
    copied = home / "mesatoys"
    assert sorted(p.name for p in copied.iterdir()) == ["00_start_here.ipynb", "01_x.ipynb"]
    assert (copied / "01_x.ipynb").read_text(encoding="utf-8") == "original 01"
    assert [p.name for p in home.iterdir()] == ["mesatoys"]  # no leftover partial copy


def test_hook_never_overwrites_a_students_work(tmp_path, image_notebooks):
    home = tmp_path / "home"
    home.mkdir()
    _run_hook(home, image_notebooks)
    mine = home / "mesatoys" / "01_x.ipynb"
    mine.write_text("my answers", encoding="utf-8")
    (home / "mesatoys" / "00_start_here.ipynb").unlink()
    (image_notebooks / "01_x.ipynb").write_text("updated in a new image", encoding="utf-8")
    result = _run_hook(home, image_notebooks)
    assert mine.read_text(encoding="utf-8") == "my answers"
    assert not (home / "mesatoys" / "00_start_here.ipynb").exists()
    assert "left as it is" in result.stdout


def test_hook_without_notebooks_in_the_image_does_nothing(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    result = _run_hook(home, tmp_path / "missing")
    assert list(home.iterdir()) == []
    assert "nothing copied" in result.stderr


def _z2jh() -> dict:
    return yaml.safe_load((ROOT / "deploy" / "z2jh" / "config.yaml").read_text("utf-8"))


def _filled(value):
    """The values with every <placeholder> replaced, as an instructor would."""
    if isinstance(value, dict):
        return {k: _filled(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_filled(v) for v in value]
    if isinstance(value, str):
        return re.sub(r"<[^<>\n]+>", "filled-in", value)
    return value


def test_z2jh_config_fits_the_measured_needs():
    config = _z2jh()
    user = config["singleuser"]
    # docs/deploy.md, "Sizing a class": a kernel peaks at ~200 MB; one core.
    assert user["memory"] == {"guarantee": "512M", "limit": "1G"}
    assert user["cpu"] == {"guarantee": 0.5, "limit": 1}
    assert user["image"]["tag"] != "latest"
    claim = user["storage"]["extraVolumes"][0]["persistentVolumeClaim"]["claimName"]
    assert claim == "nbgrader-exchange"
    # Not over the image's /etc/jupyter/nbgrader_config.py, but on Jupyter's config path.
    from jupyter_core.paths import SYSTEM_CONFIG_PATH

    mounted = Path(user["extraFiles"]["nbgrader-config"]["mountPath"])
    assert mounted != Path("/etc/jupyter/nbgrader_config.py")
    assert str(mounted.parent) in SYSTEM_CONFIG_PATH
    nbgrader_config = user["extraFiles"]["nbgrader-config"]["stringData"]
    assert 'course_id = "mesatoys"' in nbgrader_config
    assert 'Exchange.root = "/srv/nbgrader/exchange"' in nbgrader_config
    assert "EXCHANGE_CLASSES" in nbgrader_config
    profiles = {p["display_name"]: p for p in user["profileList"]}
    instructor = profiles["Instructor (nbgrader formgrader)"]["kubespawner_override"]
    assert "instructor" in instructor["image"]


def test_z2jh_gives_each_student_only_their_own_exchange_folders():
    user = _z2jh()["singleuser"]
    mounts = {m["subPath"]: m for m in user["storage"]["extraVolumeMounts"]}
    assert set(mounts) == {
        "mesatoys/outbound",
        "mesatoys/inbound/{username}",
        "mesatoys/feedback/{username}",
    }
    for sub_path, mount in mounts.items():
        assert mount["name"] == "nbgrader-exchange"
        assert mount["mountPath"] == f"/srv/nbgrader/exchange/{sub_path}"
    assert mounts["mesatoys/outbound"]["readOnly"] is True
    assert mounts["mesatoys/feedback/{username}"]["readOnly"] is True
    assert not mounts["mesatoys/inbound/{username}"].get("readOnly", False)
    # nbgrader's student id is the folder's name (KubeSpawner expands both alike).
    assert user["extraEnv"]["MESATOYS_STUDENT_ID"] == "{username}"


def _init_container() -> dict:
    (init,) = _z2jh()["singleuser"]["initContainers"]
    return init


def test_z2jh_prepares_the_exchange_folders_before_each_server_starts():
    init = _init_container()
    assert init["securityContext"]["runAsUser"] == 0
    command = init["command"]
    assert command[:3] == ["python", "-m", "mesatoys.grading.exchange"]
    assert command[command.index("--student") + 1] == "{username}"
    assert "--one-uid" in command and command[command.index("--owner") + 1] == "1000:100"
    (mount,) = init["volumeMounts"]
    assert mount == {"name": "nbgrader-exchange", "mountPath": command[3]}


def test_the_init_containers_command_lays_out_a_students_folders(tmp_path):
    from mesatoys.grading import exchange

    args = [a.replace("{username}", "alice") for a in _init_container()["command"][3:]]
    args[0] = str(tmp_path / "exchange")
    args[args.index("--owner") + 1] = f"{os.geteuid()}:{os.getegid()}"  # uid 1000 in the pod
    assert exchange.main(args) == 0
    course = tmp_path / "exchange" / "mesatoys"
    for folder in ("outbound", "inbound/alice", "feedback/alice"):
        assert (course / folder).is_dir(), folder
    assert exchange.main(args) == 0  # every start runs it again: nothing breaks
    args[args.index("--student") + 1] = "../bob"
    assert exchange.main(args) == 1  # a name that is not a folder is refused


def test_z2jh_authenticates_through_the_lms_and_admits_only_the_roster():
    hub = _z2jh()["hub"]["config"]
    authenticator = hub["JupyterHub"]["authenticator_class"]
    assert authenticator == "ltiauthenticator.lti13.auth.LTI13Authenticator"
    lti = hub["LTI13Authenticator"]
    for key in ("issuer", "client_id", "authorize_url", "jwks_endpoint", "username_key"):
        assert lti[key], key
    assert hub["Authenticator"]["allow_all"] is False
    assert hub["Authenticator"]["allowed_users"] and hub["Authenticator"]["admin_users"]


def test_no_dummy_authenticator_outside_the_tests():
    for path in [*(ROOT / "deploy").rglob("*"), ROOT / "postBuild", ROOT / "Makefile"]:
        if path.is_file():
            text = path.read_text("utf-8", errors="replace").lower()
            assert "dummyauthenticator" not in text and "authenticator_class: dummy" not in text


def _run_placeholder_guard(values: dict) -> None:
    import sys
    import types

    def get_config(key, default=None):
        node = values
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return node

    fake = types.ModuleType("z2jh")
    fake.get_config = get_config
    snippet = values["hub"]["extraConfig"]["00-placeholders"]
    saved = sys.modules.get("z2jh")
    sys.modules["z2jh"] = fake
    try:
        exec(compile(snippet, "extraConfig", "exec"), {})  # noqa: S102 - our own file
    finally:
        if saved is None:
            sys.modules.pop("z2jh")
        else:
            sys.modules["z2jh"] = saved


def test_the_hub_refuses_to_start_until_every_placeholder_is_filled():
    config = _z2jh()
    with pytest.raises(ValueError, match="placeholders") as error:
        _run_placeholder_guard(config)
    for name in ("issuer", "client_id", "allowed_users", "admin_users", "image"):
        assert name in str(error.value), name
    _run_placeholder_guard(_filled(config))  # filled in: no error


def _pod(mounts: list[dict]):
    from types import SimpleNamespace

    volume_mounts = [
        SimpleNamespace(
            name=m["name"],
            mount_path=m["mountPath"],
            sub_path=m.get("subPath"),
            read_only=m.get("readOnly", False),
        )
        for m in mounts
    ]
    container = SimpleNamespace(volume_mounts=volume_mounts)
    return SimpleNamespace(spec=SimpleNamespace(containers=[container]))


def _exchange_mounts_after_hook(admin: bool, profile: str) -> list:
    from types import SimpleNamespace

    from traitlets.config import Config

    config = _z2jh()
    home = {"name": "volume-someone", "mountPath": "/home/jovyan"}
    pod = _pod([home, *config["singleuser"]["storage"]["extraVolumeMounts"]])
    c = Config()
    exec(  # noqa: S102 - our own file
        compile(config["hub"]["extraConfig"]["wholeExchangeForInstructors"], "x", "exec"),
        {"c": c},
    )
    spawner = SimpleNamespace(user=SimpleNamespace(admin=admin), user_options={"profile": profile})
    pod = c.KubeSpawner.modify_pod_hook(spawner, pod)
    mounts = pod.spec.containers[0].volume_mounts
    assert mounts[0].mount_path == "/home/jovyan"
    return [m for m in mounts if m.name == "nbgrader-exchange"]


def test_instructors_mount_the_whole_exchange_and_students_only_their_folders():
    (whole,) = _exchange_mounts_after_hook(admin=True, profile="instructor")
    assert (whole.mount_path, whole.sub_path, whole.read_only) == (
        "/srv/nbgrader/exchange",
        None,
        False,
    )
    for admin, profile in ((False, "student"), (True, "student"), (False, "instructor")):
        mounts = _exchange_mounts_after_hook(admin=admin, profile=profile)
        assert [m.sub_path for m in mounts] == [
            "mesatoys/outbound",
            "mesatoys/inbound/{username}",
            "mesatoys/feedback/{username}",
        ]


def test_the_instructors_home_holds_a_class_and_an_install():
    override = {p["slug"]: p for p in _z2jh()["singleuser"]["profileList"]}["instructor"]
    capacity = override["kubespawner_override"]["storage_capacity"]
    assert capacity.endswith("Gi") and int(capacity[:-2]) >= 5  # `make install`: ~0.8 GB


def test_dockerfile_pins_a_dated_base_and_hides_instructor_tools():
    text = (ROOT / "deploy" / "Dockerfile").read_text(encoding="utf-8")
    bases = re.findall(r"^FROM (\S+)", text, flags=re.MULTILINE)
    assert re.fullmatch(r"quay\.io/jupyter/scipy-notebook:\d{4}-\d{2}-\d{2}", bases[0])
    student = text.split("FROM instructor AS student", 1)[1]
    for command in DISABLED:
        assert command in student
    assert "before-notebook.d" in text
    ignored = (ROOT / "deploy" / "Dockerfile.dockerignore").read_text("utf-8").split()
    assert "assignments" in ignored  # the sources hold the answer keys


def test_binder_postbuild_hides_instructor_tools():
    post_build = ROOT / "postBuild"
    assert os.access(post_build, os.X_OK)
    text = post_build.read_text(encoding="utf-8")
    for command in DISABLED:
        assert command in text
    subprocess.run(["bash", "-n", str(post_build)], check=True, timeout=30)
    environment = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    pip_items = [d for d in environment["dependencies"] if isinstance(d, dict)]
    assert {"pip": ["-e ."]} in pip_items


def _load_nbgrader_config(monkeypatch, exchange: str | None):
    from traitlets.config.loader import PyFileConfigLoader

    if exchange is None:
        monkeypatch.delenv("MESATOYS_EXCHANGE", raising=False)
    else:
        monkeypatch.setenv("MESATOYS_EXCHANGE", exchange)
    return PyFileConfigLoader("nbgrader_config.py", path=str(ROOT / "deploy")).load_config()


def test_every_servers_nbgrader_config_names_the_course_and_the_shared_exchange(monkeypatch):
    config = _load_nbgrader_config(monkeypatch, None)
    assert config.CourseDirectory.course_id == "mesatoys"
    assert config.Exchange.root == "/srv/nbgrader/exchange"
    assert _load_nbgrader_config(monkeypatch, "/mnt/exchange").Exchange.root == "/mnt/exchange"
    text = (ROOT / "deploy" / "Dockerfile").read_text(encoding="utf-8")
    assert "deploy/nbgrader_config.py /etc/jupyter/nbgrader_config.py" in text


def test_course_and_servers_share_the_course_id_and_follow_mesatoys_exchange(monkeypatch):
    from traitlets.config.loader import PyFileConfigLoader

    monkeypatch.setenv("MESATOYS_EXCHANGE", "/mnt/exchange")
    course = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT / "assignments")).load_config()
    deployed = _load_nbgrader_config(monkeypatch, "/mnt/exchange")
    assert course.CourseDirectory.course_id == deployed.CourseDirectory.course_id
    assert course.Exchange.root == deployed.Exchange.root == "/mnt/exchange"


def test_z2jh_offers_the_instructor_server_to_admins_only():
    from types import SimpleNamespace

    from traitlets.config import Config

    config = _z2jh()
    c = Config()
    c.KubeSpawner.profile_list = config["singleuser"]["profileList"]  # as the chart does
    snippet = config["hub"]["extraConfig"]["instructorProfileForAdminsOnly"]
    exec(compile(snippet, "extraConfig", "exec"), {"c": c})  # noqa: S102 - our own file
    profiles_for = c.KubeSpawner.profile_list

    def slugs(admin: bool) -> list[str]:
        spawner = SimpleNamespace(user=SimpleNamespace(admin=admin, name="someone"))
        return [p["slug"] for p in profiles_for(spawner)]

    assert slugs(admin=True) == ["student", "instructor"]
    assert slugs(admin=False) == ["student"]


def _disabled_by_commands(text: str) -> tuple[set[str], set[str]]:
    """(lab plugins, server extensions) that ``jupyter ... disable`` lines in ``text`` name."""
    plugins, extensions = set(), set()
    for line in text.replace("\\\n", " ").replace("&&", "\n").splitlines():
        words = line.split("#", 1)[0].split()
        if "jupyter" in words and "disable" in words:
            (plugins if "labextension" in words else extensions).add(words[-1])
    return plugins, extensions


def test_learner_config_folder_hides_what_the_student_image_and_binder_hide():
    folder = ROOT / "deploy" / "student-config"
    page = json.loads((folder / "labconfig" / "page_config.json").read_text("utf-8"))
    servers = [
        json.loads(p.read_text("utf-8"))["ServerApp"]["jpserver_extensions"]
        for p in (folder / "jupyter_server_config.d").glob("*.json")
    ]
    plugins = {name for name, off in page["disabledExtensions"].items() if off}
    extensions = {name for config in servers for name, on in config.items() if not on}
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text("utf-8").split("AS student", 1)[1]
    assert _disabled_by_commands(dockerfile) == (plugins, extensions)
    assert _disabled_by_commands((ROOT / "postBuild").read_text("utf-8")) == (plugins, extensions)
    assert len(plugins) == 3 and extensions == {"nbgrader.server_extensions.formgrader"}
    makefile = (ROOT / "Makefile").read_text("utf-8")
    assert "STUDENT_CONFIG := $(CURDIR)/deploy/student-config" in makefile
    assert 'JUPYTER_CONFIG_PATH="$(STUDENT_CONFIG)' in makefile


def test_the_instructor_pod_collects_without_asking_for_unix_owners(monkeypatch):
    from traitlets.config.loader import PyFileConfigLoader

    profile = {p["slug"]: p for p in _z2jh()["singleuser"]["profileList"]}["instructor"]
    environment = profile["kubespawner_override"]["environment"]
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    course = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT / "assignments")).load_config()
    assert course.ExchangeCollect.check_owner is False
    assert course.Exchange.root == "/srv/nbgrader/exchange"
    monkeypatch.delenv("MESATOYS_ONE_UID")
    course = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT / "assignments")).load_config()
    assert course.ExchangeCollect.check_owner is True  # a Unix user per student
