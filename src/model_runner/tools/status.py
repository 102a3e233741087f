"""``model-runner status JOB_ID``: a job's images and regions, their status, tiles and reasons."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TextIO

from model_runner.tools.command_error import CommandError
from model_runner.tools.job_view import ImageView, JobReader

FAILURES_SHOWN = 3


def print_status(job_id: str, environ: Mapping[str, str], *, out: TextIO, as_json: bool) -> int:
    """Print the job's images and regions; 0 when the job was found.

    Raises:
        CommandError: no image of the job is in the job table, or the tables cannot be read.
        ConfigurationError: JOB_TABLE or REGION_REQUEST_TABLE is unset.
    """
    images = JobReader(environ).job(job_id)
    if not images:
        raise CommandError(
            f"no job {job_id!r} in the job table; check the job id (a job shows once a worker accepted it)"
        )
    if as_json:
        print(
            json.dumps({"job_id": job_id, "images": [image.as_json() for image in images]}, indent=2),
            file=out,
        )
    else:
        print_table(job_id, images, out)
    return 0


def print_table(job_id: str, images: Sequence[ImageView], out: TextIO) -> None:
    """One block per image: its status line, its message, then one line per region."""
    name = images[0].record.job_name if images[0].record and images[0].record.job_name else ""
    print(f"job {job_id}{f' ({name})' if name else ''}: {len(images)} image(s)", file=out)
    for image in images:
        print(
            f"  {image.status:<11} {image.image_url}  regions {image.regions_done}/{image.region_count}  "
            f"tiles {image.tiles} ({image.failed_tiles} failed)",
            file=out,
        )
        if image.record and image.record.message:
            print(f"              {image.record.message}", file=out)
        for region in sorted(image.regions, key=lambda region: region.region_id):
            reasons = "; ".join(region.failures[:FAILURES_SHOWN])
            more = f" (and {len(region.failures) - FAILURES_SHOWN} more)" if len(region.failures) > 3 else ""
            print(
                f"    region {region.region_id:<24} {region.status.value:<11} "
                f"tiles {region.total_tiles} ({region.failed_tiles} failed)"
                + (f": {reasons}{more}" if reasons else ""),
                file=out,
            )
