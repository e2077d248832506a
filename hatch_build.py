"""Hatch build hook: compiles ``opendata/_localtime.c`` into the wheel (and, for an
editable install, next to the source).

The module only speeds the exports up (see opendata.exports.LocalTime), so a machine
without a C compiler still installs: the hook warns and the exports use their pure-Python
path, which gives the same bytes.
"""

from __future__ import annotations

import shlex
import subprocess
import sysconfig
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class LocalTimeExtension(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict) -> None:
        if self.target_name != "wheel":
            return
        source = Path(self.root, "opendata", "_localtime.c")
        target = source.with_name("_localtime" + sysconfig.get_config_var("EXT_SUFFIX"))
        command = [
            *shlex.split(sysconfig.get_config_var("LDSHARED")),
            *shlex.split(sysconfig.get_config_var("CFLAGS") or ""),
            "-fPIC",
            "-I",
            sysconfig.get_paths()["include"],
            str(source),
            "-o",
            str(target),
        ]
        try:
            subprocess.run(command, check=True, capture_output=True, text=True)
        except (OSError, subprocess.CalledProcessError) as error:
            details = getattr(error, "stderr", "") or error
            self.app.display_warning(
                f"opendata._localtime not built, exports use the pure-Python path: {details}"
            )
            return
        build_data["pure_python"] = False
        build_data["infer_tag"] = True
        build_data["artifacts"].append(str(target.relative_to(self.root)))  # it is git-ignored
