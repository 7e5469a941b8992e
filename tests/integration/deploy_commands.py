#!/usr/bin/env python3
"""Static reading of the deployment files for deploy_test.cpp (no Docker engine needed).

Prints one JSON document: every pinpipe command line found in docker-compose.yml,
deploy/crontab.example, deploy/systemd/*.service and deploy/airflow/*.py (argv after
"pinpipe"), where it was found, and the problems found on the way (YAML that does not parse,
shell scripts that do not parse, a Dockerfile that does not install .ci/packages.txt).
"""

import ast
import json
import pathlib
import re
import shlex
import subprocess
import sys

import yaml

# deploy_commands.py SOURCE_DIR [OUTPUT_JSON]
ROOT = pathlib.Path(sys.argv[1])
commands = []  # {"source": ..., "argv": [...]} with argv after "pinpipe"
problems = []
facts = {}

OPERATORS = {";", "&", "&&", "|", "||", "(", ")", "!"}
REDIRECTIONS = {">", ">>", "<", ">&", "<&", "&>", ">|"}


def is_pinpipe(word):
    return word == "pinpipe" or word.endswith("/pinpipe")


def add_argv(source, argv):
    if None in argv:
        argv = argv[: argv.index(None)]
    if argv and is_pinpipe(argv[0]):
        commands.append({"source": source, "argv": argv[1:]})


def shell_commands(source, script):
    """Adds the pinpipe invocations of a POSIX shell script; checks its syntax with sh -n."""
    check = subprocess.run(["sh", "-n", "-c", script], capture_output=True, text=True)
    if check.returncode != 0:
        problems.append(f"{source}: shell script does not parse: {check.stderr.strip()}")
    script = re.sub(r"\\\n", " ", script)
    for line in script.splitlines():
        # A file descriptor glued to a redirection (the 2 of 2>&1) is not an argument.
        line = re.sub(r"(?<=\s)\d+(?=[<>])", "", line)
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        lexer.commenters = "#"
        try:
            tokens = list(lexer)
        except ValueError as error:
            problems.append(f"{source}: cannot split {line!r}: {error}")
            continue
        segment = []
        skip_next = False
        for token in tokens + [";"]:
            if skip_next:
                skip_next = False
                continue
            if token in OPERATORS:
                add_argv(source, segment)
                segment = []
            elif token in REDIRECTIONS:
                skip_next = True  # the redirection's target
                segment.append(None)  # nothing after a redirection is an argument
            elif None not in segment:
                segment.append(token)
        # (segments are emitted at each operator, including the final ";")


def compose_commands():
    path = ROOT / "docker-compose.yml"
    try:
        compose = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        problems.append(f"docker-compose.yml does not parse: {error}")
        return
    services = compose.get("services", {})
    facts["compose_services"] = sorted(services)
    facts["compose_profiles"] = {name: s.get("profiles", []) for name, s in services.items()}
    for name, service in services.items():
        image = str(service.get("image", ""))
        if not (image.startswith("pinpipe") or "build" in service):
            continue
        source = f"docker-compose.yml: services.{name}"
        entrypoint = service.get("entrypoint")
        command = service.get("command", [])
        if isinstance(command, str):
            command = shlex.split(command)
        if isinstance(entrypoint, str):
            entrypoint = shlex.split(entrypoint)
        # Compose turns $$ into $ before the shell sees the script.
        unescape = lambda text: text.replace("$$", "$")
        if entrypoint is None:
            add_argv(source + ".command", ["pinpipe"] + [str(word) for word in command])
        elif entrypoint[-2:] == ["-c"] or entrypoint[-1:] == ["-c"]:
            shell_commands(source + ".command", unescape(" ".join(command)))
        else:
            add_argv(source + ".command", [str(word) for word in entrypoint + command])
        test = service.get("healthcheck", {}).get("test")
        if isinstance(test, list) and test and test[0] == "CMD":
            add_argv(source + ".healthcheck", test[1:])
        elif isinstance(test, list) and test and test[0] == "CMD-SHELL":
            shell_commands(source + ".healthcheck", unescape(test[1]))
    facts["compose"] = compose


def crontab_commands():
    path = ROOT / "deploy" / "crontab.example"
    schedule = r"(?:@\w+\s+|(?:[\d*/,-]+\s+){5})"
    for number, line in enumerate(path.read_text().splitlines(), 1):
        source = f"deploy/crontab.example:{number}"
        stripped = line.strip()
        commented = re.match(r"#\s*" + schedule + r"(?P<command>.*pinpipe.*)$", stripped)
        if commented:  # an alternative schedule, shown commented out: it must work too
            shell_commands(source, commented.group("command"))
            continue
        if not stripped or stripped.startswith("#") or re.match(r"^[A-Z_]+=", stripped):
            continue
        entry = re.match(schedule + r"(?P<command>.*)$", stripped)
        if not entry:
            problems.append(f"{source}: not a cron entry: {line!r}")
            continue
        shell_commands(source, entry.group("command"))


def systemd_commands():
    for path in sorted((ROOT / "deploy" / "systemd").glob("*.service")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            match = re.match(r"^(ExecStart|ExecStartPre|ExecStartPost|ExecReload)=[-@:+!]*(.*)$",
                             line)
            if match:
                add_argv(f"deploy/systemd/{path.name}:{number}", shlex.split(match.group(2)))


def airflow_commands():
    for path in sorted((ROOT / "deploy" / "airflow").glob("*.py")):
        try:
            tree = ast.parse(path.read_text(), filename=str(path))
        except SyntaxError as error:
            problems.append(f"deploy/airflow/{path.name} does not parse: {error}")
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.keyword) and node.arg == "bash_command":
                if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                    shell_commands(f"deploy/airflow/{path.name}:{node.value.lineno}",
                                   node.value.value)
                else:
                    problems.append(f"deploy/airflow/{path.name}:{node.lineno}: bash_command is "
                                    "not a plain string, so it cannot be checked")


def dockerfile_checks():
    dockerfile = (ROOT / "Dockerfile").read_text()
    instructions = re.sub(r"\\\n", " ", dockerfile)
    lines = [l.strip() for l in instructions.splitlines() if l.strip() and not l.strip().startswith("#")]
    froms = [l.split()[1] for l in lines if l.upper().startswith("FROM ")]
    facts["dockerfile_from"] = froms
    if not froms or not froms[0].startswith("debian:bookworm"):
        problems.append(f"Dockerfile: the build stage must be FROM debian:bookworm, not {froms[:1]}")
    copies = [l for l in lines if l.upper().startswith("COPY ") and ".ci/packages.txt" in l]
    if not copies:
        problems.append("Dockerfile: no COPY of .ci/packages.txt (the package list CI installs)")
    runs = [l for l in lines if l.upper().startswith("RUN ")]
    installer = [l for l in runs if ".ci/install-deps" in l or "packages.txt" in l]
    if not installer:
        problems.append("Dockerfile: no RUN installs from .ci/packages.txt (.ci/install-deps)")
    if "packages.txt" not in (ROOT / ".ci" / "install-deps").read_text():
        problems.append(".ci/install-deps does not read .ci/packages.txt")
    wanted = [l.strip() for l in (ROOT / ".ci" / "packages.txt").read_text().splitlines()
              if l.strip() and not l.strip().startswith("#")]
    facts["ci_packages"] = wanted
    # The list must not be duplicated: no package of .ci/packages.txt named in the Dockerfile.
    for run in runs:
        if "apt-get install" in run:
            for word in re.split(r"[\s;&|]+", run):
                if word in wanted:
                    problems.append(f"Dockerfile names {word} of .ci/packages.txt itself; let "
                                    ".ci/install-deps install the list")
    for package in ("python3-yaml",):
        if package not in wanted:
            problems.append(f".ci/packages.txt lacks {package}, which this check needs")


def monitoring_files():
    try:
        facts["prometheus"] = yaml.safe_load((ROOT / "deploy" / "prometheus.yml").read_text())
        datasources = ROOT / "deploy" / "grafana" / "provisioning" / "datasources"
        facts["exporter_queries"] = yaml.safe_load(
            (ROOT / "deploy" / "postgres-exporter-queries.yml").read_text())
        facts["grafana_datasources"] = [
            source for path in sorted(datasources.glob("*.yml"))
            for source in yaml.safe_load(path.read_text()).get("datasources", [])]
    except yaml.YAMLError as error:
        problems.append(f"monitoring configuration does not parse: {error}")


compose_commands()
monitoring_files()
crontab_commands()
systemd_commands()
airflow_commands()
dockerfile_checks()
document = json.dumps({"commands": commands, "problems": problems, "facts": facts}, indent=1,
                      default=str)
if len(sys.argv) > 2:
    pathlib.Path(sys.argv[2]).write_text(document)
else:
    print(document)
