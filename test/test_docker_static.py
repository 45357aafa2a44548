# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""Static checks of docker/ and requirements-system-ros.txt (images are not built here).

There is a docker client but no daemon and no registry on the development machines, so
these tests read the Dockerfiles and the compose file instead: every COPY source exists in
the build context compose names, the entrypoint is executable and does what it says,
base images are pinned, and every version the images name agrees with the requirements
files. The entrypoint and docker/rosdep-install.sh are run for real against stand-ins
for /opt/ros and rosdep. `docker compose config` runs too where the compose plugin is
installed (it needs no daemon).
"""

from dataclasses import dataclass, field
import fnmatch
import json
import os
from pathlib import Path
import re
import shlex
import shutil
import subprocess
import sys

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DOCKER = ROOT / 'docker'
COMPOSE = DOCKER / 'compose.yaml'
DOCKERFILES = {'robot': DOCKER / 'robot.Dockerfile', 'learner': DOCKER / 'learner.Dockerfile'}
SYSTEM_REQS = ROOT / 'requirements-system-ros.txt'

# Where requirements-system-ros.txt pins another version than requirements.txt, and why.
INTENDED_DIFFERENCES = {
    # Jazzy's rclpy and generated messages are built against Ubuntu 24.04's numpy 1.26.
    'numpy',
    # opencv-python-headless >= 4.12 requires numpy >= 2.
    'opencv-python-headless',
    # Ubuntu 24.04's python3-yaml, shared with ros2cli and launch.
    'pyyaml',
}
# What requirements.txt installs that a system ROS install takes from apt instead.
FROM_APT = re.compile(r'^(ros-jazzy-.*|colcon-.*|pytest)$')


@dataclass
class Instruction:
    """One Dockerfile instruction, its continuation lines joined.

    Attributes:
        line: 1-based line number where the instruction starts.
        cmd: the instruction keyword, upper case (``'COPY'``).
        value: everything after the keyword, continuations joined.
        flags: leading ``--name=value`` options (``{'from': 'builder'}``).
        args: the arguments after the flags, from the JSON (exec) form when the value is
            a JSON array, else split as a shell would.
        json_form: whether the value was a JSON array.

    """

    line: int
    cmd: str
    value: str
    flags: dict = field(default_factory=dict)
    args: list = field(default_factory=list)
    json_form: bool = False


def parse_dockerfile(text):
    """Split a Dockerfile into instructions, as the Docker builder reads it.

    Lines ending in the escape character (backslash) continue on the next line; comment
    lines, also inside a continuation, and blank lines are dropped. Heredocs are not
    supported (the project's Dockerfiles use none).

    Args:
        text: the Dockerfile's contents.

    Returns:
        A list of Instruction, in file order.

    Raises:
        ValueError: when the file ends inside a continuation.

    """
    instructions = []
    pending, start = None, 0
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not stripped or stripped.startswith('#'):
            continue
        continued = raw.rstrip().endswith('\\')
        part = raw.rstrip()[:-1] if continued else raw
        if pending is None:
            pending, start = part, number
        else:
            pending += part
        if not continued:
            instructions.append(_instruction(start, pending))
            pending = None
    if pending is not None:
        raise ValueError(f'line {start}: the file ends inside a line continuation')
    return instructions


def _instruction(line, text):
    cmd, _, value = text.strip().partition(' ')
    value = value.strip()
    inst = Instruction(line, cmd.upper(), value)
    words = value
    while words.startswith('--'):
        flag, _, words = words.partition(' ')
        name, _, flag_value = flag[2:].partition('=')
        inst.flags[name] = flag_value
        words = words.strip()
    if words.startswith('['):
        try:
            inst.args = json.loads(words)
            inst.json_form = True
        except json.JSONDecodeError:
            inst.args = shlex.split(words)
    else:
        inst.args = shlex.split(words, comments=False) if inst.cmd != 'RUN' else [words]
    return inst


def read_requirements(path):
    """Read a pinned requirements file.

    Args:
        path: a requirements file of ``name==version`` lines (comments allowed).

    Returns:
        dict of normalized name (PEP 503) -> version string.

    Raises:
        AssertionError: on a line that is not an exact pin.

    """
    pins = {}
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.split('#', 1)[0].strip()
        if not line:
            continue
        m = re.fullmatch(r'([A-Za-z0-9._-]+)(\[[^\]]*\])?==([A-Za-z0-9.+!_-]+)', line)
        assert m, f'{path.name}:{number}: {line!r} is not an exact pin (name==version)'
        pins[normalize(m.group(1))] = m.group(3)
    return pins


def normalize(name):
    """Return a distribution name in PEP 503 normal form (``PyYAML`` -> ``pyyaml``)."""
    return re.sub(r'[-_.]+', '-', name).lower()


def load_compose():
    return yaml.safe_load(COMPOSE.read_text())


def build_of(service):
    """Return (context dir, Dockerfile path) of a compose service, resolved as compose does."""
    build = load_compose()['services'][service]['build']
    context = (COMPOSE.parent / build['context']).resolve()
    return context, context / build['dockerfile']


def dockerignore_patterns(context):
    path = context / '.dockerignore'
    if not path.exists():
        return []
    lines = [line.strip() for line in path.read_text().splitlines()]
    return [line for line in lines if line and not line.startswith('#')]


def ignored(relpath, patterns):
    """Tell whether .dockerignore excludes a path (its patterns, without `!` exceptions)."""
    parts = Path(relpath).parts
    for pattern in patterns:
        pattern = pattern.lstrip('/')
        for depth in range(1, len(parts) + 1):
            prefix = '/'.join(parts[:depth])
            if fnmatch.fnmatch(prefix, pattern) or (
                pattern.startswith('**/') and fnmatch.fnmatch(parts[depth - 1], pattern[3:])
            ):
                return True
    return False


def instructions(name):
    return parse_dockerfile(DOCKERFILES[name].read_text())


def run_text(name):
    return '\n'.join(i.value for i in instructions(name) if i.cmd == 'RUN')


def arg_defaults(name):
    defaults = {}
    for inst in instructions(name):
        if inst.cmd == 'ARG':
            key, _, value = inst.value.partition('=')
            defaults[key] = value
    return defaults


# ---- the parser itself ----------------------------------------------------------------


def test_parser_joins_continuations_and_drops_comments():
    text = (
        '# a comment\n'
        'FROM ros:jazzy-ros-base-noble\n'
        'RUN apt-get update \\\n'
        '    # a comment inside a continuation\n'
        '    && apt-get install -y \\\n'
        '        libegl1\n'
        'COPY --chown=1000:1000 a b /dst/\n'
        'CMD ["ros2", "launch", "x", "y.launch.py"]\n'
    )
    parsed = parse_dockerfile(text)
    assert [i.cmd for i in parsed] == ['FROM', 'RUN', 'COPY', 'CMD']
    assert [i.line for i in parsed] == [2, 3, 7, 8]
    assert 'apt-get update ' in parsed[1].value and parsed[1].value.endswith('libegl1')
    assert 'comment' not in parsed[1].value
    assert parsed[2].flags == {'chown': '1000:1000'} and parsed[2].args == ['a', 'b', '/dst/']
    assert parsed[3].json_form and parsed[3].args == ['ros2', 'launch', 'x', 'y.launch.py']
    with pytest.raises(ValueError, match='continuation'):
        parse_dockerfile('RUN true \\\n')


# ---- Dockerfiles ----------------------------------------------------------------------


@pytest.mark.parametrize('name', sorted(DOCKERFILES))
def test_base_image_is_ros_jazzy_pinned_to_a_tag(name):
    froms = [i for i in instructions(name) if i.cmd == 'FROM']
    assert len(froms) == 1, f'{name}: one stage expected'
    image = froms[0].args[0]
    repo, _, tag = image.rpartition(':')
    assert repo and tag and tag != 'latest' and '$' not in image, (
        f'{name}: base image {image!r} is not pinned to a tag'
    )
    # The same ROS distribution as the pip wheels of requirements.txt (ros-jazzy-*).
    runtime = read_requirements(ROOT / 'requirements.txt')
    distros = {n.split('-')[1] for n in runtime if n.startswith('ros-')}
    assert distros == {'jazzy'} and repo == 'ros' and tag.startswith('jazzy-ros-base')


@pytest.mark.parametrize('service', ['robot', 'learner'])
def test_every_copy_source_exists_in_the_build_context(service):
    context, dockerfile = build_of(service)
    assert dockerfile.is_file(), f'compose service {service}: {dockerfile} does not exist'
    patterns = dockerignore_patterns(context)
    copies = [i for i in parse_dockerfile(dockerfile.read_text()) if i.cmd in ('COPY', 'ADD')]
    assert copies
    for inst in copies:
        assert 'from' not in inst.flags, f'line {inst.line}: single-stage images only'
        assert len(inst.args) >= 2, f'line {inst.line}: COPY needs a source and a destination'
        for source in inst.args[:-1]:
            assert not re.match(r'^[a-z]+://', source), f'line {inst.line}: remote {source}'
            matches = list(context.glob(source))
            assert matches, f'{dockerfile.name}:{inst.line}: COPY source {source} not in {context}'
            assert not ignored(source, patterns), (
                f'{dockerfile.name}:{inst.line}: {source} is excluded by .dockerignore'
            )


def test_dockerignore_keeps_local_state_out_of_the_context():
    patterns = dockerignore_patterns(ROOT)
    for path in ('.venv', 'build', 'install', 'log', 'runs', 'bags', '.git', '.make', '.helpers'):
        assert ignored(path, patterns), f'.dockerignore does not exclude {path}'
    assert ignored('src/robot_learning/robot_learning/__pycache__/x.pyc', patterns)
    assert not ignored('src/robot_learning/package.xml', patterns)


def copy_destinations(name):
    """Map each file COPY puts in the image to its source in the repository."""
    dest = {}
    workdir = '/'
    for inst in instructions(name):
        if inst.cmd == 'WORKDIR':
            workdir = inst.args[0]
        if inst.cmd == 'COPY':
            *sources, target = inst.args
            base = target if target.startswith('/') else f'{workdir.rstrip("/")}/{target}'
            for source in sources:
                key = f'{base.rstrip("/")}/{Path(source).name}' if target.endswith('/') else base
                dest[key] = ROOT / source
    return dest


@pytest.mark.parametrize('name', sorted(DOCKERFILES))
def test_entrypoint_is_a_copied_executable_script(name):
    entry = [i for i in instructions(name) if i.cmd == 'ENTRYPOINT']
    assert len(entry) == 1 and entry[0].json_form, 'ENTRYPOINT in exec form (gets the signals)'
    source = copy_destinations(name).get(entry[0].args[0])
    assert source is not None, f'{name}: ENTRYPOINT {entry[0].args[0]} is not COPYed in'
    assert source == DOCKER / 'entrypoint.sh'
    assert os.access(source, os.X_OK), f'{source} is not executable'
    if shutil.which('git') and (ROOT / '.git').exists():
        staged = subprocess.run(
            ['git', 'ls-files', '-s', str(source.relative_to(ROOT))],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout
        if staged:  # tracked: the clone CI builds from must keep the executable bit
            assert staged.startswith('100755'), staged
    assert subprocess.run(['bash', '-n', str(source)]).returncode == 0


@pytest.mark.parametrize('name', sorted(DOCKERFILES))
def test_versions_named_in_dockerfiles_agree_with_the_requirements(name):
    system = read_requirements(SYSTEM_REQS)
    runtime = read_requirements(ROOT / 'requirements.txt')
    args = arg_defaults(name)
    assert args['TORCH_VERSION'] == system['torch'] == runtime['torch']
    text = run_text(name)
    # Every pin written out in a RUN line is the one of requirements-system-ros.txt.
    for pkg, version in re.findall(r'\b([A-Za-z][A-Za-z0-9._-]*)==([0-9][^\s"\'+]*)', text):
        assert system.get(normalize(pkg)) == version, f'{name}: {pkg}=={version} in a RUN line'
    assert '-r /tmp/requirements-system-ros.txt' in text
    assert 'requirements.txt' not in text.replace('requirements-system-ros.txt', '')


def test_robot_takes_the_cpu_torch_and_the_learner_the_cuda_one():
    robot, learner = run_text('robot'), run_text('learner')
    assert '--extra-index-url https://download.pytorch.org/whl/cpu' in robot
    assert '"torch==${TORCH_VERSION}+cpu"' in robot and 'not torch.version.cuda' in robot
    assert 'whl/cpu' not in learner and '"torch==${TORCH_VERSION}"' in learner
    assert 'and torch.version.cuda' in learner


@pytest.mark.parametrize('name', sorted(DOCKERFILES))
def test_images_build_the_workspace_with_rosdep_and_colcon(name):
    text = run_text(name)
    assert 'rosdep-install src' in text and 'rosdep update' in text
    assert 'python -m colcon build' in text
    # The rosdep source for the keys rosdistro lacks is a file the image copied in.
    sources = re.findall(r'yaml file://(\S+?)"', text)
    assert sources, f'{name}: no rosdep source for robot_learning_bringup/rosdep.yaml'
    for source in sources:
        assert copy_destinations(name).get(source, Path('/nonexistent')).is_file(), source
    # colcon must find every package: each package.xml is copied before rosdep runs.
    copied = {str(p.relative_to(ROOT)) for p in copy_destinations(name).values()}
    for package_xml in sorted(ROOT.glob('src/*/package.xml')):
        assert str(package_xml.relative_to(ROOT)) in copied, f'{name}: {package_xml} not copied'
    # The Makefile's rendering libraries, for MuJoCo in the image too.
    make = (ROOT / 'Makefile').read_text()
    apt = re.search(r'^APT_PKGS := (.*)$', make, re.M).group(1).split()
    for pkg in apt:
        assert re.search(rf'\b{re.escape(pkg)}\b', text), f'{name}: apt package {pkg} missing'
    user = [i.args[0] for i in instructions(name) if i.cmd == 'USER']
    assert user and user[-1] not in ('root', '0'), f'{name}: runs as root'


def test_default_commands_name_what_the_workspace_installs():
    robot_cmd = [i for i in instructions('robot') if i.cmd == 'CMD'][-1].args
    assert robot_cmd[:3] == ['ros2', 'launch', 'robot_learning_bringup']
    assert (ROOT / 'launch' / robot_cmd[3]).is_file()
    learner_cmd = [i for i in instructions('learner') if i.cmd == 'CMD'][-1].args
    assert learner_cmd[:4] == ['ros2', 'run', 'robot_learning_nodes', 'sac_learner']
    setup_py = (ROOT / 'src' / 'robot_learning_nodes' / 'setup.py').read_text()
    assert re.search(r"'sac_learner = robot_learning_nodes\.sac_learner:main'", setup_py)
    params = learner_cmd[learner_cmd.index('--params-file') + 1]
    prefix = '/ws/install/robot_learning_bringup/share/robot_learning_bringup/config/'
    assert params.startswith(prefix) and (ROOT / 'config' / params[len(prefix):]).is_file()


def linter(name):
    """Return the path of a linter from requirements-test.txt (beside this python first)."""
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get('PATH', '')])
    return shutil.which(name, path=path)


def test_dockerfiles_pass_hadolint():
    hadolint = linter('hadolint')
    if hadolint is None:
        pytest.skip('hadolint not installed (requirements-test.txt): Dockerfiles not linted')
    r = subprocess.run(
        [
            hadolint,
            '--no-color',
            '--failure-threshold',
            'warning',
            *map(str, DOCKERFILES.values()),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stdout + r.stderr


def test_scripts_pass_shellcheck():
    shellcheck = linter('shellcheck')
    if shellcheck is None:
        pytest.skip('shellcheck not installed (requirements-test.txt): scripts not linted')
    scripts = [DOCKER / 'entrypoint.sh', DOCKER / 'rosdep-install.sh']
    r = subprocess.run(
        [shellcheck, *map(str, scripts)], capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0, r.stdout + r.stderr


# ---- compose --------------------------------------------------------------------------


def test_compose_puts_robot_and_learner_on_one_domain_on_the_host_network():
    services = load_compose()['services']
    assert set(services) >= {'robot', 'learner'}
    domains = set()
    for name in ('robot', 'learner'):
        svc = services[name]
        assert svc['network_mode'] == 'host', f'{name}: DDS discovery needs the host network'
        assert svc['ipc'] == 'host', f'{name}: Fast DDS shared memory needs the host IPC'
        domains.add(str(svc['environment']['ROS_DOMAIN_ID']))
        mounts = {v.split(':')[1]: v.split(':')[0] for v in svc['volumes']}
        assert mounts.get('/data/runs') == '../runs' and mounts.get('/data/bags') == '../bags'
        workdir = [i.args[0] for i in instructions(name) if i.cmd == 'WORKDIR'][-1]
        assert workdir == '/data', f'{name}: relative runs/ and bags/ must land in the volumes'
        assert build_of(name)[1] == DOCKERFILES[name]
    assert len(domains) == 1, f'robot and learner on different domains: {domains}'


def test_compose_robot_command_passes_declared_launch_arguments():
    from robot_learning_bringup.launch_description import launch_arguments

    command = load_compose()['services']['robot']['command']
    assert command[:3] == ['ros2', 'launch', 'robot_learning_bringup']
    launch_file = command[3]
    assert (ROOT / 'launch' / launch_file).is_file()
    declared = {name for name, _, _ in launch_arguments(launch_file[: -len('.launch.py')])}
    passed = [arg.split(':=', 1)[0] for arg in command[4:]]
    assert passed and set(passed) <= declared, f'undeclared: {set(passed) - declared}'


def test_compose_reserves_the_gpu_for_the_learner_only():
    services = load_compose()['services']
    devices = services['learner']['deploy']['resources']['reservations']['devices']
    assert any(d['driver'] == 'nvidia' and 'gpu' in d['capabilities'] for d in devices)
    assert 'deploy' not in services['robot']


def compose_command():
    """Return the argv prefix of a compose that runs here (the v2 plugin or v1), or None."""
    docker = shutil.which('docker')
    if docker:
        probe = subprocess.run(
            [docker, 'compose', 'version'], capture_output=True, text=True, timeout=60
        )
        if probe.returncode == 0:
            return [docker, 'compose']
    legacy = shutil.which('docker-compose')
    return [legacy] if legacy else None


def test_docker_compose_config_accepts_the_file():
    compose = compose_command()
    if compose is None:
        pytest.skip('neither docker compose nor docker-compose: compose.yaml checked statically')
    # `config` validates against compose's schema and interpolates; it needs no daemon.
    env = dict(os.environ, ROS_DOMAIN_ID='7', CMD_VEL='/diff_drive_controller/cmd_vel')
    r = subprocess.run(
        [*compose, '-f', str(COMPOSE), 'config'],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert r.returncode == 0, r.stderr
    config = yaml.safe_load(r.stdout)
    services = config['services']
    assert {str(s['environment']['ROS_DOMAIN_ID']) for s in services.values()} == {'7'}
    assert 'cmd_vel:=/diff_drive_controller/cmd_vel' in services['robot']['command']
    assert Path(services['robot']['build']['context']).resolve() == ROOT


# ---- requirements-system-ros.txt ------------------------------------------------------


def test_system_ros_requirements_have_no_ros_wheels_and_numpy_1():
    system = read_requirements(SYSTEM_REQS)
    for name in system:
        assert not FROM_APT.match(name) and 'rclpy' not in name and not name.endswith('-msgs'), (
            f'{name} comes from /opt/ros/jazzy (apt) on a system install'
        )
    assert system['numpy'].split('.')[0] == '1', "Jazzy's generated messages need numpy 1.x"
    assert system['opencv-python-headless'].split('.')[0] == '4'


def test_system_ros_requirements_agree_with_requirements_txt():
    system = read_requirements(SYSTEM_REQS)
    runtime = read_requirements(ROOT / 'requirements.txt')
    for name, version in runtime.items():
        if FROM_APT.match(name):
            continue
        assert name in system, f'{name} (requirements.txt) is missing from {SYSTEM_REQS.name}'
        if name not in INTENDED_DIFFERENCES:
            assert system[name] == version, (
                f'{name}: {system[name]} in {SYSTEM_REQS.name}, {version} in requirements.txt'
            )
    assert set(system) <= set(runtime), f'only in {SYSTEM_REQS.name}: {set(system) - set(runtime)}'


# ---- the scripts, run against stand-ins -----------------------------------------------


def test_entrypoint_sources_underlay_and_overlay_then_execs(tmp_path):
    underlay, overlay = tmp_path / 'ros', tmp_path / 'ws' / 'install'
    site = tmp_path / 'venv' / 'lib' / 'python3.12' / 'site-packages'
    for d in (underlay, overlay, site):
        d.mkdir(parents=True)
    (underlay / 'setup.bash').write_text('export PYTHONPATH=/ros/site; export SEEN=underlay\n')
    (overlay / 'setup.bash').write_text('export SEEN="$SEEN overlay"\n')
    env = dict(
        os.environ,
        RL_UNDERLAY=str(underlay),
        RL_OVERLAY=str(overlay),
        RL_VENV=str(tmp_path / 'venv'),
    )
    script = str(DOCKER / 'entrypoint.sh')
    r = subprocess.run(
        [script, 'bash', '-c', 'echo "$SEEN|$PYTHONPATH"; exit 3'],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    seen, pythonpath = r.stdout.strip().split('|')
    assert r.returncode == 3, 'the exit status of the command is the container exit status'
    assert seen == 'underlay overlay'
    assert pythonpath == f'/ros/site:{site}', 'ROS paths first, then the venv'

    (overlay / 'setup.bash').unlink()
    r = subprocess.run([script, 'true'], capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and str(overlay / 'setup.bash') in lines[0]


STUB_ROSDEP = """#!/bin/bash
case "$1" in
  keys) printf '%s\\n' python3-numpy python3-mujoco-pip rclpy python3-rosbags-pip $EXTRA ;;
  resolve)
    case "$2" in
      *-pip) printf '#pip\\n%s\\n' "${2%-pip}" ;;
      python3-numpy) printf '#apt\\npython3-numpy\\n' ;;
      rclpy) printf '#apt\\nros-jazzy-rclpy\\n' ;;
      *) echo "ERROR: no rosdep rule for '$2'" >&2; exit 1 ;;
    esac ;;
  install) printf '%s\\n' "$@" > "$LOG" ;;
esac
"""


def test_rosdep_install_leaves_pip_keys_to_the_pinned_file(tmp_path):
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    (bin_dir / 'rosdep').write_text(STUB_ROSDEP)
    (bin_dir / 'rosdep').chmod(0o755)
    log = tmp_path / 'install.args'
    env = dict(
        os.environ,
        PATH=f'{bin_dir}:{os.environ["PATH"]}',
        LOG=str(log),
        EXTRA='',
        ROSDEP_SKIP_KEYS='python3-extra-a python3-extra-b',
    )
    script = str(DOCKER / 'rosdep-install.sh')
    r = subprocess.run(
        [script, str(ROOT / 'src')], capture_output=True, text=True, env=env, timeout=60
    )
    assert r.returncode == 0, r.stderr
    args = log.read_text().splitlines()
    skip = set(args[args.index('--skip-keys') + 1].split())
    assert {'python3-mujoco-pip', 'python3-rosbags-pip'} <= skip
    assert {'python3-extra-a', 'python3-extra-b'} <= skip, 'ROSDEP_SKIP_KEYS adds keys'
    assert not {'python3-numpy', 'rclpy'} & skip, 'apt keys ROS shares stay with rosdep'
    # The apt keys it always skips are packages requirements-system-ros.txt pins instead.
    listed = re.search(r'PIN_FROM_PIP=\(([^)]*)\)', Path(script).read_text()).group(1).split()
    assert set(listed) <= skip
    system = read_requirements(SYSTEM_REQS)
    aliases = {'opencv': 'opencv-python-headless', 'pil': 'pillow'}
    for key in listed:
        name = key[len('python3-'):]
        assert aliases.get(name, name) in system, f'{key} is skipped but not pinned'
    assert '-y' in args and '--ignore-src' in args and 'test' not in args

    log.unlink()
    env['EXTRA'] = 'python3-no-such-key'
    r = subprocess.run(
        [script, str(ROOT / 'src')], capture_output=True, text=True, env=env, timeout=60
    )
    assert r.returncode == 1 and not log.exists(), 'nothing installed after a bad key'
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "'python3-no-such-key'" in lines[0]
