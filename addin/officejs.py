"""The Office add-in for Excel on the web, Mac and Windows, generated from the formula registry.

Written here rather than taken from xlwings.server / xlwings-server, which are commercially
licensed. The files, all served by the sync service under ``/addin/``:

- ``functions.json``: custom-function metadata, one entry per registry formula;
- ``functions.js``: a small forwarder that associates every formula id with one call to
  ``POST /api/formulas/<name>`` (the names are filled in from the registry);
- ``taskpane.html`` with ``taskpane.js`` and ``taskpane.css``: the add-in's page in Thai,
  hosting the runtime and the three macros (no inline script or style: the page's
  Content-Security-Policy allows scripts from the service and office.js's CDN only, and framing
  by Office's own sites only, see :data:`CONTENT_SECURITY_POLICY`);
- ``manifest.xml``: what staff load into Excel, pointing at the files above.

Office requires a namespace before custom-function names, so in Excel on the web a formula is
typed ``=ESA.ALLOCATE(...)`` where desktop Excel (xlwings) and Google Sheets use
``=ESA_ALLOCATE(...)``.
"""

from __future__ import annotations

import hashlib
import json
import re
import struct
import uuid
import zlib
from importlib.resources import files
from xml.sax.saxutils import quoteattr

from addin.registry import FORMULAS, Formula, Param

NAMESPACE = "ESA"
#: Sites that frame the task pane: Excel on the web (consumer and Microsoft 365, old and new
#: addresses) and SharePoint/OneDrive; Excel desktop shows it in its own web view, not framed.
OFFICE_FRAMES = (
    "https://*.officeapps.live.com",
    "https://*.office.com",
    "https://*.office365.com",
    "https://*.microsoft365.com",
    "https://*.cloud.microsoft",
    "https://*.sharepoint.com",
)
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' https://appsforoffice.microsoft.com",  # office.js loads its host's scripts from there too
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
        f"frame-ancestors 'self' {' '.join(OFFICE_FRAMES)}",
    ]
)
#: The same sites as origins that may fetch the add-in's files (CORS): Excel on the web loads the custom
#: functions' metadata and script from the frame of its own site (excel.cloud.microsoft, *.officeapps.live.com).
OFFICE_ORIGINS = tuple(
    re.compile("^https://([a-z0-9-]+\\.)*" + re.escape(site.removeprefix("https://*.")) + "$", re.IGNORECASE)
    for site in OFFICE_FRAMES
)
#: Files Excel caches: a new formula must reach a new address. Microsoft: changes to functions.json and
#: functions.js "may take up to 24 hours to reach your end users" (office-js-docs-pr,
#: docs/excel/custom-functions-troubleshooting.md); the manifest names them with ?v=<version of their content>.
VERSIONED = ("functions.json", "functions.js", "taskpane.html")
ADDIN_ID = uuid.UUID("6f0d4a43-7c1e-4f7e-9d59-8a1f2d3c4b5a")  # fixed: Excel tracks an add-in by its id


def office_name(entry: Formula) -> str:
    """The name after the namespace: ESA_ALLOCATE is typed =ESA.ALLOCATE in Office.js Excel."""
    return entry.name.removeprefix(f"{NAMESPACE}_")


def functions_metadata() -> dict[str, object]:
    """Custom-function metadata (the JSON Excel reads), one entry per registry formula."""
    return {
        "functions": [
            {
                "id": entry.name,
                "name": office_name(entry),
                "description": f"{entry.th} ({entry.en})",
                "parameters": [
                    {
                        "name": param.name,
                        "description": f"{param.th} ({param.en})",
                        "type": "any",
                        "dimensionality": "matrix" if _takes_range(entry, param) else "scalar",
                        "optional": param.optional,
                        **({"customEnumId": _enum_id(entry, param)} if param.choices else {}),
                    }
                    for param in entry.params
                ],
                "result": {"type": "any", "dimensionality": "matrix" if _answers_range(entry) else "scalar"},
            }
            for entry in FORMULAS.values()
        ],
        "enums": [
            {
                "id": _enum_id(entry, param),
                "type": "number" if param.type == "number" else "string",
                "values": [
                    {
                        "name": str(value),
                        "numberValue" if param.type == "number" else "stringValue": value,
                        "tooltip": tooltip,
                    }
                    for value, tooltip in param.choices
                ],
            }
            for entry in FORMULAS.values()
            for param in entry.params
            if param.choices
        ],
    }


def _takes_range(entry: Formula, param: Param) -> bool:
    """Ranges, and every argument of a one-value formula but a list of choices (lifted over cells by the registry)."""
    return (
        param.type == "range"
        or param.type == "any"
        and param.name in ("floor", "cap")
        or entry.lifts
        and not param.choices
    )


def _answers_range(entry: Formula) -> bool:
    return entry.spills or entry.lifts


def _enum_id(entry: Formula, param: Param) -> str:
    """Office's enum id (letters, digits, periods and underscores): one list per formula argument."""
    return f"{entry.name}.{param.name}"


def functions_js(base_url: str) -> str:
    """The forwarder, with the registry's formula ids and the service's address filled in."""
    template = files("addin").joinpath("officejs_functions.js").read_text(encoding="utf-8")
    formulas = {
        f.name: {"name": f"{NAMESPACE}.{office_name(f)}", "spills": _answers_range(f)} for f in FORMULAS.values()
    }
    return template.replace("__ESAPLAN_BASE__", json.dumps(base_url.rstrip("/"))).replace(
        "__ESAPLAN_FORMULAS__", json.dumps(formulas, ensure_ascii=False)
    )


def taskpane_file(name: str) -> str:
    """The task pane's page (``html``), script (``js``) or style (``css``): the connection code and the three macros."""
    return files("addin").joinpath(f"officejs_taskpane.{name}").read_text(encoding="utf-8")


def files_version() -> str:
    """A short fingerprint of what the add-in's cached files say (formulas, forwarder, task pane)."""
    digest = hashlib.sha256(json.dumps(functions_metadata(), sort_keys=True).encode())
    digest.update(functions_js("").encode())
    for name in ("html", "js", "css"):
        digest.update(taskpane_file(name).encode())
    return digest.hexdigest()[:12]


def manifest_xml(base_url: str) -> str:
    """The add-in manifest staff load into Excel (Insert > Add-ins > Upload My Add-in). Office requires
    HTTPS for the add-in's pages (office-js-docs-pr, docs/concepts/privacy-and-security.md: "a URL that
    uses HTTPS" in SourceLocation); ``esaplan addin build`` refuses anything else."""
    base = base_url.rstrip("/")
    version = files_version()

    def url(path: str) -> str:
        return quoteattr(f"{base}/addin/{path}" + (f"?v={version}" if path in VERSIONED else ""))

    return f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<OfficeApp xmlns="http://schemas.microsoft.com/office/appforoffice/1.1" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:bt="http://schemas.microsoft.com/office/officeappbasictypes/1.0" xmlns:ov="http://schemas.microsoft.com/office/taskpaneappversionoverrides" xsi:type="TaskPaneApp">
  <Id>{ADDIN_ID}</Id>
  <Version>1.0.0.0</Version>
  <ProviderName>esaplan</ProviderName>
  <DefaultLocale>th-TH</DefaultLocale>
  <DisplayName DefaultValue="esaplan กลุ่มนโยบายและแผน"/>
  <Description DefaultValue="สูตร ESA และมาโครของกลุ่มนโยบายและแผน สพป. (esaplan formulas and macros)"/>
  <IconUrl DefaultValue={url("icon-32.png")}/>
  <HighResolutionIconUrl DefaultValue={url("icon-80.png")}/>
  <SupportUrl DefaultValue={quoteattr(base + "/")}/>
  <AppDomains>
    <AppDomain>{base}</AppDomain>
  </AppDomains>
  <Hosts>
    <Host Name="Workbook"/>
  </Hosts>
  <Requirements>
    <Sets DefaultMinVersion="1.1">
      <Set Name="SharedRuntime" MinVersion="1.1"/>
    </Sets>
  </Requirements>
  <DefaultSettings>
    <SourceLocation DefaultValue={url("taskpane.html")}/>
  </DefaultSettings>
  <Permissions>ReadWriteDocument</Permissions>
  <VersionOverrides xmlns="http://schemas.microsoft.com/office/taskpaneappversionoverrides" xsi:type="VersionOverridesV1_0">
    <Hosts>
      <Host xsi:type="Workbook">
        <Runtimes>
          <Runtime resid="Taskpane.Url" lifetime="long"/>
        </Runtimes>
        <AllFormFactors>
          <ExtensionPoint xsi:type="CustomFunctions">
            <Script>
              <SourceLocation resid="Functions.Script.Url"/>
            </Script>
            <Page>
              <SourceLocation resid="Taskpane.Url"/>
            </Page>
            <Metadata>
              <SourceLocation resid="Functions.Metadata.Url"/>
            </Metadata>
            <Namespace resid="Functions.Namespace"/>
          </ExtensionPoint>
        </AllFormFactors>
        <DesktopFormFactor>
          <FunctionFile resid="Taskpane.Url"/>
          <ExtensionPoint xsi:type="PrimaryCommandSurface">
            <OfficeTab id="TabHome">
              <Group id="EsaplanGroup">
                <Label resid="Group.Label"/>
                <Icon>
                  <bt:Image size="16" resid="Icon.16"/>
                  <bt:Image size="32" resid="Icon.32"/>
                  <bt:Image size="80" resid="Icon.80"/>
                </Icon>
                <Control xsi:type="Button" id="EsaplanTaskpane">
                  <Label resid="Button.Label"/>
                  <Supertip>
                    <Title resid="Button.Label"/>
                    <Description resid="Button.Tooltip"/>
                  </Supertip>
                  <Icon>
                    <bt:Image size="16" resid="Icon.16"/>
                    <bt:Image size="32" resid="Icon.32"/>
                    <bt:Image size="80" resid="Icon.80"/>
                  </Icon>
                  <Action xsi:type="ShowTaskpane">
                    <TaskpaneId>EsaplanPane</TaskpaneId>
                    <SourceLocation resid="Taskpane.Url"/>
                  </Action>
                </Control>
              </Group>
            </OfficeTab>
          </ExtensionPoint>
        </DesktopFormFactor>
      </Host>
    </Hosts>
    <Resources>
      <bt:Images>
        <bt:Image id="Icon.16" DefaultValue={url("icon-16.png")}/>
        <bt:Image id="Icon.32" DefaultValue={url("icon-32.png")}/>
        <bt:Image id="Icon.80" DefaultValue={url("icon-80.png")}/>
      </bt:Images>
      <bt:Urls>
        <bt:Url id="Functions.Script.Url" DefaultValue={url("functions.js")}/>
        <bt:Url id="Functions.Metadata.Url" DefaultValue={url("functions.json")}/>
        <bt:Url id="Taskpane.Url" DefaultValue={url("taskpane.html")}/>
      </bt:Urls>
      <bt:ShortStrings>
        <bt:String id="Functions.Namespace" DefaultValue="{NAMESPACE}"/>
        <bt:String id="Group.Label" DefaultValue="esaplan"/>
        <bt:String id="Button.Label" DefaultValue="นโยบายและแผน"/>
      </bt:ShortStrings>
      <bt:LongStrings>
        <bt:String id="Button.Tooltip" DefaultValue="รวมข้อมูล ตรวจแผ่นงาน ทะเบียนจัดสรร (consolidate, validate, allocation register)"/>
      </bt:LongStrings>
    </Resources>
  </VersionOverrides>
</OfficeApp>
"""


def icon_png(size: int) -> bytes:
    """A plain square icon in the office's dark blue: Excel requires icon URLs, not their art."""
    row = b"\x00" + bytes((0x1F, 0x4E, 0x79)) * size
    raw = row * size

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
