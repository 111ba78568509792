"""gRPC entrypoint of the Segmentation service."""

from __future__ import annotations

import grpc
from google.protobuf import json_format

from engage.segmentation.v1 import segmentation_pb2, segmentation_service_pb2, segmentation_service_pb2_grpc
from services.common.auth import current_principal
from services.common.protos import struct, timestamp
from services.segmentation import service

_pb = segmentation_service_pb2


def _rule(row) -> segmentation_pb2.SegmentRule:
    return segmentation_pb2.SegmentRule(
        rule_id=row.id,
        name=row.name,
        segment=row.segment,
        priority=row.priority,
        enabled=row.enabled,
        condition_json=struct(row.condition),
        version=row.version,
        created_at=timestamp(row.created_at),
        created_by=row.created_by,
        updated_at=timestamp(row.updated_at),
        updated_by=row.updated_by,
    )


def _run(row) -> segmentation_pb2.SegmentRun:
    return segmentation_pb2.SegmentRun(
        run_id=row.id,
        started_at=timestamp(row.started_at),
        finished_at=timestamp(row.finished_at),
        trigger=row.trigger,
        users_evaluated=row.users_evaluated or 0,
        changes=row.changes or 0,
        counts=row.counts or {},
        error=row.error or "",
    )


def _condition(request) -> dict:
    return json_format.MessageToDict(request.condition_json)


class SegmentationServicer(segmentation_service_pb2_grpc.SegmentationServiceServicer):
    def ListSegmentRules(self, request, context):
        rows, token = service.list_rules(request.page_size, request.page_token)
        return _pb.ListSegmentRulesResponse(rules=[_rule(r) for r in rows], next_page_token=token)

    def CreateSegmentRule(self, request, context):
        enabled = request.enabled if request.HasField("enabled") else True
        row = service.create_rule(
            request.name, request.segment, request.priority, enabled, _condition(request), current_principal().subject
        )
        return _pb.CreateSegmentRuleResponse(rule=_rule(row))

    def UpdateSegmentRule(self, request, context):
        row = service.update_rule(
            request.rule_id,
            request.name,
            request.segment,
            request.priority,
            request.enabled if request.HasField("enabled") else True,
            _condition(request),
            current_principal().subject,
            expected_version=request.expected_version or None,
        )
        return _pb.UpdateSegmentRuleResponse(rule=_rule(row))

    def DeleteSegmentRule(self, request, context):
        service.delete_rule(request.rule_id, current_principal().subject)
        return _pb.DeleteSegmentRuleResponse()

    def PreviewSegmentRule(self, request, context):
        count, ids = service.preview(_condition(request), request.sample_size)
        return _pb.PreviewSegmentRuleResponse(matched_count=count, sample_user_ids=ids)

    def RecomputeSegments(self, request, context):
        result = service.run_batch(trigger=f"manual:{current_principal().subject}")
        (row,) = service.list_runs_by_id([result.run_id])
        return _pb.RecomputeSegmentsResponse(run=_run(row))

    def ListSegments(self, request, context):
        return _pb.ListSegmentsResponse(
            segments=[_pb.ListSegmentsResponse.SegmentCount(segment=s, user_count=n) for s, n in service.segment_counts()]
        )

    def ListSegmentUsers(self, request, context):
        ids, token = service.segment_users(request.segment, request.page_size, request.page_token)
        return _pb.ListSegmentUsersResponse(user_ids=ids, next_page_token=token)

    def GetUserSegment(self, request, context):
        e = service.explain(request.user_id)
        return _pb.GetUserSegmentResponse(
            user_id=request.user_id,
            segment=e.segment,
            rule_id=e.rule_id or 0,
            rule_version=e.rule_version or 0,
            since=timestamp(e.since),
            segment_now=e.segment_now,
            rule_id_now=e.rule_now.rule_id or 0 if e.rule_now else 0,
            facts=struct(e.facts),
            checks=[
                _pb.GetUserSegmentResponse.RuleCheck(
                    rule_id=c.rule.rule_id or 0,
                    name=c.name,
                    segment=c.rule.segment,
                    failed_conditions=[
                        struct({"path": leaf.path, "field": leaf.field.name, "op": leaf.op, "value": leaf.value})
                        for leaf in c.failed
                    ],
                )
                for c in e.checks
            ],
        )

    def ListSegmentRuns(self, request, context):
        rows, token = service.list_runs(request.page_size, request.page_token)
        return _pb.ListSegmentRunsResponse(runs=[_run(r) for r in rows], next_page_token=token)


def register(server: grpc.Server) -> list:
    segmentation_service_pb2_grpc.add_SegmentationServiceServicer_to_server(SegmentationServicer(), server)
    return [segmentation_service_pb2.DESCRIPTOR.services_by_name["SegmentationService"]]
