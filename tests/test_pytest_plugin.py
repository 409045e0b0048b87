"""The pytest plugin's documentation (D42).

The plugin itself runs as a client project uses it, in its own folder with its own pytest run,
from the installed wheel: `test_a_client_project_uses_the_installed_plugin` in
`tests/test_install.py`.
"""

from __future__ import annotations

from tests.client_project import readme_files


def test_the_readme_has_the_example_files_the_client_project_runs() -> None:
    files = readme_files()
    assert set(files) == {"conftest.py", "test_my_client.py"}
    assert (
        "def test_" in files["test_my_client.py"] and "stardust_mock" in files["test_my_client.py"]
    )
    assert "def stardust_mock_options" in files["conftest.py"]
