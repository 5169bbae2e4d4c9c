"""Saved conversation threads: listed per collection, reopened with their turns, renamed and deleted. Each
route is one call into ``ThreadsService`` (``service/engine/threads.py``), which checks the walls; threads
are started and continued by ``/v1/ask``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import AfterValidator

from service.api.params import ThreadIdPath, check_name
from service.api.schemas import ErrorEnvelope, ThreadDetailOut, ThreadOut, ThreadRename, ThreadsOut, ThreadTurnOut
from service.api.state import JsonBody, PrincipalDep, StateDep

ERRORS: dict[int | str, dict[str, Any]] = {code: {"model": ErrorEnvelope} for code in (400, 401, 404, 415, 422, 429)}
router = APIRouter(prefix="/v1", tags=["threads"], responses=ERRORS)


@router.get("/threads", response_model=ThreadsOut, summary="The caller's threads in a collection, newest first.")
def list_threads(
    state: StateDep,
    principal: PrincipalDep,
    collection: Annotated[
        str, Query(min_length=1, max_length=64, description="Collection (matter) name."), AfterValidator(check_name)
    ],
) -> ThreadsOut:
    """An admin's list holds every key's threads in the collection."""
    readable = state.readable_collection(principal, collection)
    return ThreadsOut(threads=[ThreadOut.from_record(record) for record in state.threads.listed(readable, principal)])


@router.get("/threads/{thread_id}", response_model=ThreadDetailOut, summary="A thread with its turns, oldest first.")
def get_thread(thread_id: ThreadIdPath, state: StateDep, principal: PrincipalDep) -> ThreadDetailOut:
    record, turns = state.threads.turns(thread_id, principal)
    return ThreadDetailOut(
        **ThreadOut.from_record(record).model_dump() | {"turn_count": len(turns)},
        turns=[ThreadTurnOut.from_turn(turn) for turn in turns],
    )


@router.patch("/threads/{thread_id}", response_model=ThreadOut, dependencies=[JsonBody], summary="Rename a thread.")
def rename_thread(thread_id: ThreadIdPath, body: ThreadRename, state: StateDep, principal: PrincipalDep) -> ThreadOut:
    return ThreadOut.from_record(state.threads.rename(thread_id, body.title, principal))


@router.delete("/threads/{thread_id}", status_code=204, summary="Delete a thread and every turn of it.")
def delete_thread(thread_id: ThreadIdPath, state: StateDep, principal: PrincipalDep) -> Response:
    state.threads.delete(thread_id, principal)
    return Response(status_code=204)
