# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 robot_learning maintainers
"""What ament_copyright and ament_xmllint would check, for every package of the suite.

Neither linter has a wheel, so this plain test stands in for them: every Python file of the
repository (src/, test/, bench/, launch/) carries the SPDX header, and every package.xml is
well-formed, format 3 in the element order of its schema (REP 149), names an Apache-2.0
license and a reachable maintainer, agrees with its setup.py, and declares a rosdep key for
every module its code imports (so that `rosdep install --from-paths src` installs what runs).
The suite's packages sit side by side in src/ and robot_learning_bringup depends on all of
them, so the check lives here.
"""

import ast
from pathlib import Path
import re
import sys
import xml.etree.ElementTree as ET

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
SRC = REPO / 'src'
PACKAGES = sorted(p.parent.name for p in SRC.glob('*/package.xml'))
SPDX = 'SPDX-License-Identifier: Apache-2.0'

# Python modules whose rosdep key differs from the module name (ROS packages are imported by
# their own name). The -pip keys rosdistro lacks are defined in ../rosdep.yaml.
ROSDEP_KEYS = {
    'PIL': 'python3-pil',
    'av': 'python3-av-pip',
    # rosbags' own dependencies (zstd and lz4 codecs), installed with it.
    'backports': 'python3-rosbags-pip',
    'lz4': 'python3-rosbags-pip',
    'cv2': 'python3-opencv',
    'gymnasium': 'python3-gymnasium-pip',
    'imageio': 'python3-imageio',
    'matplotlib': 'python3-matplotlib',
    'mcap': 'python3-mcap-pip',
    'mcap_ros2': 'python3-mcap-ros2-support-pip',
    'mujoco': 'python3-mujoco-pip',
    'numpy': 'python3-numpy',
    'pyarrow': 'python3-pyarrow-pip',
    'pytest': 'python3-pytest',
    'rosbags': 'python3-rosbags-pip',
    'ruamel': 'python3-ruamel.yaml',
    'safetensors': 'python3-safetensors-pip',
    'torch': 'python3-torch-pip',
    'tqdm': 'python3-tqdm',
    'yaml': 'python3-yaml',
}
# Imported but deliberately not declared, with the reason.
UNDECLARED = {
    # setup.py only: colcon and ament_python bring setuptools.
    'setuptools',
    # Standard library from Python 3.14 on (bagrepair.py falls back to backports.zstd).
    'compression',
    # Optional pretrained text encoders (language.py falls back with a one-line error).
    'sentence_transformers',
    'transformers',
    # test_lerobot_export.py: tried, and replaced by a stand-in where PyPI's CUDA build
    # does not load beside the CPU torch (lerobot itself is an importorskip test extra).
    'torchvision',
}
# No exceptions for the core: its CLI finds the ROS verbs (up, profiles, demo, eval) through
# entry points and imports no package that depends on it (that would be a dependency cycle).

# REP 149 (format 3): the fixed order of the top-level elements of <package>.
HEAD_ORDER = ['name', 'version', 'description', 'maintainer', 'license', 'url', 'author']
DEPENDS = {
    'build_depend', 'build_export_depend', 'buildtool_depend', 'buildtool_export_depend',
    'exec_depend', 'depend', 'doc_depend', 'test_depend', 'conflict', 'replace',
}
TAIL_ORDER = ['group_depend', 'member_of_group', 'export']


def _python_files():
    for top in ('src', 'test', 'bench', 'launch'):
        for path in sorted((REPO / top).rglob('*.py')):
            if '__pycache__' not in path.parts and not any(
                part.endswith('.egg-info') for part in path.parts
            ):
                yield path


def _element_rank(tag):
    if tag in HEAD_ORDER:
        return HEAD_ORDER.index(tag)
    if tag in DEPENDS:
        return len(HEAD_ORDER)
    if tag in TAIL_ORDER:
        return len(HEAD_ORDER) + 1 + TAIL_ORDER.index(tag)
    raise AssertionError(f'<{tag}> is not a package.xml format 3 element')


def _manifest(package):
    return ET.parse(SRC / package / 'package.xml').getroot()


def _imports(paths):
    modules = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding='utf-8'))):
            if isinstance(node, ast.Import):
                modules.update(alias.name.split('.')[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split('.')[0])
    return {m for m in modules if m not in sys.stdlib_module_names}


def test_every_python_file_has_the_spdx_header():
    missing = [
        str(path.relative_to(REPO))
        for path in _python_files()
        if SPDX not in ''.join(path.read_text(encoding='utf-8').splitlines(True)[:3])
    ]
    assert not missing, f'add "# {SPDX}" as the first line (after a shebang) of: {missing}'


def test_the_license_file_is_apache_2():
    text = (REPO / 'LICENSE').read_text(encoding='utf-8')
    assert 'Apache License' in text and 'Version 2.0, January 2004' in text


@pytest.mark.parametrize('package', PACKAGES)
def test_package_xml_is_format_3(package):
    root = _manifest(package)
    assert root.tag == 'package' and root.get('format') == '3'
    tags = [child.tag for child in root]
    ranks = [_element_rank(tag) for tag in tags]
    assert ranks == sorted(ranks), f'elements out of the format 3 order: {tags}'
    for tag in ('name', 'version', 'description', 'maintainer', 'license'):
        assert root.find(tag) is not None and (root.find(tag).text or '').strip(), tag
    for tag in ('name', 'version', 'description', 'export'):
        assert tags.count(tag) == 1, f'exactly one <{tag}>'
    assert root.findtext('name') == package
    assert re.fullmatch(r'[a-z](_?[a-z0-9]+)*', package)
    assert re.fullmatch(r'\d+\.\d+\.\d+', root.findtext('version'))
    assert [lic.text for lic in root.findall('license')] == ['Apache-2.0']
    for maintainer in root.findall('maintainer'):
        email = maintainer.get('email', '')
        assert re.fullmatch(r'[^@\s]+@[^@\s]+\.[a-z]+', email), email
        assert not email.endswith(('.invalid', '.example', '.test', 'example.com')), email
    for url in root.findall('url'):
        assert url.get('type', 'website') in ('website', 'bugtracker', 'repository')
        assert re.match(r'https?://', url.text or ''), url.text
    assert root.findtext('export/build_type') == 'ament_python'
    keys = [(dep.tag, (dep.text or '').strip()) for dep in root if dep.tag in DEPENDS]
    assert all(key for _, key in keys), 'empty dependency'
    assert len(keys) == len(set(keys)), 'duplicate dependency'


@pytest.mark.parametrize('package', PACKAGES)
def test_setup_py_agrees_with_package_xml(package):
    root = _manifest(package)
    setup = (SRC / package / 'setup.py').read_text(encoding='utf-8')
    maintainer = root.find('maintainer')
    expected = {
        'version': root.findtext('version'),
        'maintainer': maintainer.text,
        'maintainer_email': maintainer.get('email'),
        'license': root.findtext('license'),
    }
    for field, value in expected.items():
        assert f"{field}='{value}'" in setup, f'setup.py {field} should be {value!r}'


@pytest.mark.parametrize('package', PACKAGES)
def test_package_xml_declares_what_the_code_imports(package):
    root = _manifest(package)
    run = {dep.text.strip() for dep in root if dep.tag in ('exec_depend', 'depend')}
    test = run | {dep.text.strip() for dep in root.findall('test_depend')}
    files = [p for p in (SRC / package).rglob('*.py') if '__pycache__' not in p.parts]
    code = [p for p in files if p.relative_to(SRC / package).parts[0] != 'test']
    tests = [p for p in files if p.relative_to(SRC / package).parts[0] == 'test']
    if package == 'robot_learning_bringup':
        code += sorted((REPO / 'launch').glob('*.py'))  # what setup.py installs
    skip = UNDECLARED | {package}
    # Modules of the package's own tests directory (test helpers) are not dependencies.
    skip |= {p.stem for p in tests}
    for paths, declared, kind in ((code, run, 'exec_depend'), (tests, test, 'test_depend')):
        wanted = {ROSDEP_KEYS.get(m, m) for m in _imports(paths) - skip}
        missing = sorted(wanted - declared)
        assert not missing, f'{package}/package.xml needs <{kind}> for {missing}'


def test_every_pip_key_is_defined_in_our_rosdep_source():
    defined = set(yaml.safe_load((SRC / 'robot_learning_bringup' / 'rosdep.yaml').read_text()))
    used = {
        dep.text.strip()
        for package in PACKAGES
        for dep in _manifest(package)
        if dep.tag in DEPENDS and dep.text.strip().endswith('-pip')
    }
    assert used <= defined, f'define {sorted(used - defined)} in rosdep.yaml'
    assert defined <= used, f'rosdep.yaml defines unused keys {sorted(defined - used)}'


@pytest.mark.parametrize('package', PACKAGES)
def test_catkin_pkg_reads_package_xml_without_warnings(package):
    # catkin_pkg is the manifest parser of rosdep, bloom and colcon; it validates the fields.
    catkin_pkg = pytest.importorskip('catkin_pkg.package')
    warnings = []
    manifest = catkin_pkg.parse_package(str(SRC / package), warnings=warnings)
    assert manifest.package_format == 3
    assert not warnings, warnings
