"""``SqlJobStore``: upload jobs in SQL (table ``upload_jobs``), where every server process reads them. Implements
``JobStore``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from typing import cast

from sqlalchemy import case, delete, select, update

from service.backends.sql.store import SqlDocumentStore
from service.backends.sql.tables import UploadJobRow, as_utc, utcnow
from service.core.ingestion import FINISHED, UNFINISHED, FileResult, Job, JobStatus, StoredJob


class SqlJobStore:
    """Upload jobs, each saved in one short transaction."""

    def __init__(self, store: SqlDocumentStore) -> None:
        self.store = store

    def add(self, job: Job, owner: str, owner_gone: Callable[[str, datetime], bool], keep: int) -> None:
        """Record a new job; in the same transaction, mark the unfinished jobs of dead processes interrupted and
        delete finished jobs beyond the newest ``keep``."""
        with self.store.session() as session, session.begin():
            session.add(
                UploadJobRow(
                    id=job.job_id,
                    collection=job.collection,
                    key_name=job.key_name,
                    names=job.names,
                    status=job.status,
                    results={},
                    owner=owner,
                )
            )
            session.flush()
            unfinished = session.execute(
                select(UploadJobRow.id, UploadJobRow.owner, UploadJobRow.created_at).where(
                    UploadJobRow.status.in_(UNFINISHED)
                )
            ).all()
            gone = [job_id for job_id, row_owner, created_at in unfinished if owner_gone(row_owner, as_utc(created_at))]
            if gone:
                session.execute(
                    update(UploadJobRow)
                    .where(UploadJobRow.id.in_(gone), UploadJobRow.status.in_(UNFINISHED))
                    .values(status="interrupted", updated_at=utcnow())
                )
            cutoff = session.scalar(
                select(UploadJobRow.created_at).order_by(UploadJobRow.created_at.desc()).offset(keep).limit(1)
            )
            if cutoff is not None:
                session.execute(
                    delete(UploadJobRow).where(UploadJobRow.status.in_(FINISHED), UploadJobRow.created_at <= cutoff)
                )

    def get(self, job_id: str) -> StoredJob | None:
        with self.store.session() as session:
            row = session.get(UploadJobRow, job_id)
        if row is None:
            return None
        status = cast(JobStatus, row.status)  # written only from JobStatus
        results = {name: FileResult(**fields) for name, fields in row.results.items()}
        job = Job(row.id, row.collection, list(row.names), row.key_name, status, results)
        return StoredJob(job, row.owner, as_utc(row.created_at))

    def save(self, job: Job) -> None:
        """Record the job's status and its files' results so far; a cancelled job stays cancelled (another
        process may have cancelled it since its runner last looked)."""
        results = {name: asdict(result) for name, result in job.results.items()}
        status = case((UploadJobRow.status == "cancelled", "cancelled"), else_=job.status)
        with self.store.session() as session, session.begin():
            session.execute(
                update(UploadJobRow)
                .where(UploadJobRow.id == job.job_id)
                .values(status=status, results=results, updated_at=utcnow())
            )

    def cancel(self, job_id: str) -> bool:
        """Mark the job cancelled if it is queued or running, in one conditional update."""
        with self.store.session() as session, session.begin():
            changed = session.execute(
                update(UploadJobRow)
                .where(UploadJobRow.id == job_id, UploadJobRow.status.in_(UNFINISHED))
                .values(status="cancelled", updated_at=utcnow())
                .returning(UploadJobRow.id)
            ).first()
        return changed is not None
