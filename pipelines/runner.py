"""Choosing and checking where a run executes: the local runner, Dataflow, Flink, a portable
job service. Everything a runner would fail on late — an option nobody knows, an output its
workers cannot reach, a Dataflow project that cannot exist — is refused here, at once, with a
message that says what to do (exit 2), before any network call or pipeline.
"""

from __future__ import annotations

import argparse
import difflib
import functools
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from corpusgate.pipelines.config import ConfigError, RunConfig

# Beam's options are imported only where needed: the checks of `quick_check` run before Beam is
# imported at all, so a bad option is refused in well under a second.
PipelineOptions = Any

LOCAL_RUNNERS = frozenset({"fnapirunner", "directrunner", "direct", "bundlebasedrunner"})
# The run command's own options: a Beam option that looks like one of these is a typo of ours.
OWN_FLAGS = ("--config", "--output", "--runner", "--json", "--verbose", "--progress-seconds")
# GCP's rules: a project id is 6-30 of [a-z0-9-], starting with a letter, not ending in '-';
# a bucket name is 3-63 of [a-z0-9._-], starting and ending with a letter or digit.
_PROJECT = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
_REGION = re.compile(r"^[a-z]+-[a-z]+[0-9]+$")
_BUCKET = re.compile(r"^gs://([a-z0-9][a-z0-9._-]{1,61}[a-z0-9])(/.*)?$")


@functools.cache
def beam_flags() -> frozenset[str]:
    """Every option any Beam options class defines (what Beam would not silently drop)."""
    from apache_beam.options.pipeline_options import PipelineOptions, _BeamArgumentParser

    parser = _BeamArgumentParser(allow_abbrev=False)
    seen: set[type] = set()
    stack = list(PipelineOptions.__subclasses__())
    while stack:
        cls = stack.pop()
        if cls in seen:
            continue
        seen.add(cls)
        stack.extend(cls.__subclasses__())
        try:
            cls._add_argparse_args(parser)
        except argparse.ArgumentError:
            continue  # two classes defining one flag: it is known either way
    return frozenset(o for action in parser._actions for o in action.option_strings)


def check_extra_args(extra: list[str]) -> None:
    """ConfigError naming every option neither corpusgate nor Beam knows."""
    known = beam_flags()
    unknown = []
    for arg in extra:
        if not arg.startswith("--"):
            continue
        flag = arg.split("=", 1)[0]
        if flag not in known and f"--no{flag[2:]}" not in known:
            close = difflib.get_close_matches(flag, [*OWN_FLAGS, *known], n=1, cutoff=0.75)
            hint = f" (did you mean {close[0]}?)" if close else ""
            unknown.append(f"{flag}{hint}")
    if unknown:
        raise ConfigError(
            f"unknown option(s): {', '.join(unknown)}; neither `corpusgate run` nor Apache Beam "
            "knows them (see `corpusgate run --help`)"
        )


@dataclass(frozen=True)
class Target:
    """Where the run goes, read from the profile, the config and the command line alone."""

    runner: str
    dry_run: bool = False
    project: str | None = None
    region: str | None = None
    temp_location: str | None = None
    staging_location: str | None = None

    @property
    def local(self) -> bool:
        return self.runner.lower() in LOCAL_RUNNERS

    @property
    def cloud(self) -> bool:
        """Workers on other machines with no shared disk: only object stores reach them.
        (A portable or Flink cluster may share a file system with the launcher.)"""
        return self.runner == "DataflowRunner"


def target_of(config: RunConfig, extra: list[str]) -> Target:
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    for name in ("runner", "project", "region", "temp_location", "staging_location", "dry_run"):
        parser.add_argument(f"--{name}")
    flags = [f"--{k}={v}" for k, v in config.beam_options.items() if not isinstance(v, list)]
    known, _ = parser.parse_known_args([*flags, *extra])
    return Target(
        runner=known.runner or config.runner,
        dry_run=str(known.dry_run).lower() in ("true", "1", "yes"),
        project=known.project,
        region=known.region,
        temp_location=known.temp_location,
        staging_location=known.staging_location,
    )


def quick_check(config: RunConfig, extra: list[str]) -> Target:
    """Refuse, before Beam is imported, what the runner would fail on late."""
    target = target_of(config, extra)
    if target.runner == "DataflowRunner":
        _check_dataflow(target)
    if not target.dry_run:
        check_output(config.output, target)
    return target


def check_output(output: str, target: Target) -> None:
    """A place the run can write and its workers can reach."""
    if "://" in output:
        if target.runner == "DataflowRunner" and not output.startswith("gs://"):
            raise ConfigError(f"--output {output}: Dataflow workers write to gs:// locations")
        return
    if target.cloud:
        raise ConfigError(
            f"--output {output} is a folder on this machine, which {target.runner} "
            "workers cannot write to: give gs://bucket/prefix or s3://bucket/prefix"
        )
    path = Path(output)
    if path.exists() and not path.is_dir():
        raise ConfigError(f"--output {output} is a file, not a folder: choose another place")
    # The folder may not exist yet: try a file in the nearest folder that does, and leave no
    # trace (a run that fails before starting creates nothing).
    existing = next(p for p in (path, *path.parents) if p.exists())
    if not existing.is_dir():
        raise ConfigError(
            f"--output {output}: {existing} is a file, so no folder can be made there"
        )
    try:
        with tempfile.NamedTemporaryFile(dir=existing, prefix=".corpusgate-probe-"):
            pass
    except OSError as err:
        raise ConfigError(f"--output {output} cannot be written ({err.strerror})") from None


def _check_dataflow(target: Target) -> None:
    """Offline checks of what Dataflow would otherwise reject after minutes of network waits."""
    problems = []
    if not target.project or not _PROJECT.match(target.project):
        problems.append(
            f"--project {target.project!r} is not a Google Cloud project id "
            "(6-30 lowercase letters, digits and '-', e.g. my-project-123)"
        )
    if not target.region or not _REGION.match(target.region):
        problems.append(f"--region {target.region!r} is not a region (e.g. europe-west4)")
    if not target.temp_location:
        problems.append("--temp_location is required: a gs://bucket/path Dataflow may write")
    for name in ("temp_location", "staging_location"):
        value = getattr(target, name)
        if value and not _BUCKET.match(value):
            problems.append(f"--{name} {value!r} is not gs://BUCKET/path with a valid bucket name")
    if problems:
        raise ConfigError("Dataflow options: " + "; ".join(problems))


def idle_workers_warning(options: PipelineOptions, files: int, split_bytes: int) -> str | None:
    """A local multi-process run with fewer input files than workers, reading files whole:
    work spreads by file, so the extra workers wait (reshuffle off, they wait for the checks
    too). None when every worker can get a file."""
    from apache_beam.options.pipeline_options import DirectOptions

    direct = options.view_as(DirectOptions)
    if direct.direct_running_mode not in ("multi_processing", "multi_threading"):
        return None
    workers = direct.direct_num_workers or 1
    if workers <= 1 or files >= workers or split_bytes > 0:
        return None
    return (
        f"{workers} workers but {files} input file(s): a file is read by one worker, so "
        f"{workers - files} will wait; set split_jsonl_mb in the profile (e.g. 64) to read "
        "large JSON Lines files in ranges, one worker each"
    )


def project_root() -> Path | None:
    """The source tree corpusgate runs from (an editable install), where a wheel can be built."""
    root = Path(__file__).resolve().parents[1]
    return root if (root / "pyproject.toml").is_file() else None


def worker_package_args(options: PipelineOptions, build_dir: Path) -> list[str]:
    """Options that give remote workers corpusgate: the user's own packaging when given, else a
    wheel built from this source tree and passed with --extra_packages."""
    from apache_beam.options.pipeline_options import SetupOptions, StandardOptions

    setup = options.view_as(SetupOptions)
    runner = str(options.view_as(StandardOptions).runner or "")
    local = runner.lower() in LOCAL_RUNNERS
    if local or setup.extra_packages or setup.setup_file or setup.requirements_file:
        return []
    root = project_root()
    if root is None:
        raise ConfigError(
            "remote workers need corpusgate: build a wheel (python -m build --wheel) and pass "
            "--extra_packages dist/corpusgate-*.whl"
        )
    # First with the build backend installed here (the `dataflow` extra brings setuptools 77+):
    # no index is asked, so a launcher without a network can still package its workers. Else
    # pip's isolated build, which fetches the backend from the package index.
    failures: list[str] = []
    pip_wheel = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet"]
    for flags in (["--no-build-isolation"], []):
        done = subprocess.run(
            [*pip_wheel, *flags, "-w", str(build_dir), str(root)],
            capture_output=True,
            text=True,
            check=False,
        )
        wheels = sorted(build_dir.glob("corpusgate-*.whl"))
        if done.returncode == 0 and wheels:
            break
        failures.append(done.stderr.strip()[-300:])
    else:
        raise ConfigError(
            "could not build corpusgate's wheel for the workers (install "
            "'corpusgate[dataflow]' for a build backend that needs no network, or pass "
            f"--extra_packages): {' | '.join(failures)}"
        )
    return [f"--extra_packages={wheels[-1]}"]


def dry_run_summary(result: Any, pipeline_proto: Any | None = None) -> dict[str, Any]:
    """What a dry run translated: the job, its steps and what would be staged."""
    from apache_beam.portability.api import beam_runner_api_pb2

    job = getattr(result, "job", None)
    proto = getattr(job, "proto_pipeline", None) or pipeline_proto
    steps: list[str] = []
    staged: list[str] = []
    if proto is not None:
        transforms = proto.components.transforms
        for root_id in proto.root_transform_ids:
            for sub in transforms[root_id].subtransforms:
                steps.append(transforms[sub].unique_name)
        for env in proto.components.environments.values():
            for dep in env.dependencies:
                payload = beam_runner_api_pb2.ArtifactStagingToRolePayload.FromString(
                    dep.role_payload
                )
                staged.append(payload.staged_name)
    from apache_beam.options.pipeline_options import GoogleCloudOptions

    options = getattr(job, "options", None)
    gcp = options.view_as(GoogleCloudOptions) if options is not None else None
    return {
        "job_name": getattr(getattr(job, "proto", None), "name", None),
        "project": gcp.project if gcp else None,
        "region": gcp.region if gcp else None,
        "transforms": len(proto.components.transforms) if proto is not None else 0,
        "steps": steps,
        "staged": sorted(set(staged)),
    }
