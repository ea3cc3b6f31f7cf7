"""The provider API specs in docs/providers/ against the code they describe.

Each spec is the one source for what the analyzer asks of a provider (the MCP server serves the same
files). These checks keep them from drifting: every endpoint a client calls is named, every marker and
configuration key a spec mentions exists, and every spec has the sections a reader looks for.
"""
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SPECS = ROOT / "docs" / "providers"
PROVIDERS = ROOT / "Services" / "Analyzer" / "Service" / "Providers"

# The client source of each provider, and the type within it (two share a file).
CLIENTS = {
    "dadata": ("DaDataClient.swift", "DaDataClient"),
    "casebook": ("CasebookClient.swift", "CasebookClient"),
    "infosphere": ("InfoSphereClient.swift", "InfoSphereClient"),
    "tavily": ("WebSearchClients.swift", "TavilyClient"),
    "perplexity": ("WebSearchClients.swift", "PerplexityClient"),
}

SECTIONS = [
    "## Endpoints", "## Authentication", "## Request", "## Response fields read", "## Limits and error codes",
    "## How fields become findings and markers", "## Caching", "## Failure states in a report", "## Example exchange",
]


def client_source(provider):
    file, type_name = CLIENTS[provider]
    text = (PROVIDERS / file).read_text()
    start = text.index(f"struct {type_name}")
    following = text.find("\npackage struct ", start + 1)
    return text[start:following if following > 0 else len(text)]


def endpoints(source):
    """Paths the client calls: `baseURL + "/path?query"` and `postJSON("/path", …)`, without the query."""
    paths = re.findall(r'baseURL \+ "(/[^"?]*)', source) + re.findall(r'postJSON\("(/[^"]*)"', source)
    return sorted(set(paths))


@pytest.mark.parametrize("provider", sorted(CLIENTS))
def test_a_spec_names_every_endpoint_its_client_calls(provider):
    spec = (SPECS / f"{provider}.md").read_text()
    called = endpoints(client_source(provider))
    assert called, f"no endpoints found in the {provider} client: the pattern above no longer matches it"
    for path in called:
        assert f"`{path}" in spec, f"docs/providers/{provider}.md does not name {path}, which its client calls"


@pytest.mark.parametrize("provider", sorted(CLIENTS))
def test_a_spec_has_every_section_and_names_its_client(provider):
    spec = (SPECS / f"{provider}.md").read_text()
    missing = [section for section in SECTIONS if section not in spec]
    assert not missing, f"docs/providers/{provider}.md lacks {missing}"
    assert CLIENTS[provider][0] in spec


@pytest.mark.parametrize("provider", sorted(CLIENTS))
def test_the_markers_and_settings_a_spec_mentions_exist(provider):
    spec = (SPECS / f"{provider}.md").read_text()
    scoring = (ROOT / "docs" / "scoring.md").read_text()
    configuration = (ROOT / "docs" / "configuration.md").read_text()
    markers = set(re.findall(r"`((?:legal|financial|reputation|regulatory|registration)\.[a-z_]+)`", spec))
    settings = set(re.findall(r"`((?:providers|worker)\.[a-z_.]+)", spec))
    assert markers, f"{provider}.md names no marker its fields feed"
    for marker in markers:
        assert f"`{marker}`" in scoring, f"{provider}.md names marker {marker}, which docs/scoring.md does not define"
    for key in settings:
        assert f"`{key}`" in configuration, f"{provider}.md names setting {key}, which docs/configuration.md does not list"
    default_url = re.search(rf"`providers\.{provider}\.base_url` \| `([^`]+)`", configuration).group(1)
    assert default_url in spec, f"{provider}.md does not give the default base URL {default_url}"


def test_every_provider_has_a_spec_and_nothing_else_is_there():
    assert sorted(path.stem for path in SPECS.glob("*.md")) == sorted(CLIENTS)


def test_the_gateway_embeds_the_current_specs():
    """The MCP server serves the specs from a generated Swift file: it must hold what docs/providers says."""
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "embed-provider-specs.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
