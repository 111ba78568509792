"""gRPC entrypoint of the Reward service."""

from __future__ import annotations

from datetime import UTC

import grpc
from google.protobuf import json_format

from engage.reward.v1 import reward_pb2, reward_service_pb2, reward_service_pb2_grpc
from services.common import ledgers
from services.common.auth import Role, current_principal
from services.common.protos import struct, timestamp
from services.reward import pools, selection, service

_pb = reward_service_pb2
_TokenType = reward_pb2.TokenType


def _token_name(value: int) -> str | None:
    return _TokenType.Name(value) if value else None


def _token_value(name: str | None) -> int:
    return _TokenType.Value(name) if name else 0


def _dict(message) -> dict:
    return json_format.MessageToDict(message)


def _entry(e) -> reward_pb2.LedgerEntry:
    return reward_pb2.LedgerEntry(
        entry_id=e.id,
        user_id=e.user_id,
        token_type=_token_value(e.token_type),
        delta=e.delta,
        balance_after=e.balance_after,
        reason=e.reason,
        label=e.label,
        meta_json=struct(e.meta),
        idempotency_key=e.idempotency_key,
        created_at=timestamp(e.created_at),
    )


def _budget(b) -> reward_pb2.Budget:
    return reward_pb2.Budget(
        budget_id=b.id,
        owner_kind=reward_pb2.Budget.OwnerKind.Value(b.owner_kind),
        owner_id=b.owner_id,
        unit=reward_pb2.Budget.Unit.Value(b.unit),
        token_type=_token_value(b.token_type),
        total_limit=b.total_limit,
        daily_limit=b.daily_limit,
        spent_total=b.spent_total,
        spent_today=b.spent_today,
        created_at=timestamp(b.created_at),
        created_by=b.created_by,
        updated_at=timestamp(b.updated_at),
        updated_by=b.updated_by,
    )


def _item(r, probability: float = 0.0) -> reward_pb2.RewardItem:
    return reward_pb2.RewardItem(
        item_id=r.id,
        pool_id=r.pool_id,
        reward_type=reward_pb2.RewardItem.RewardType.Value(r.reward_type),
        reward_value=struct(r.reward_value),
        weight=r.weight,
        quantity=r.quantity,
        initial_quantity=r.initial_quantity,
        meta_json=struct(r.meta),
        probability=probability,
        active=r.active,
    )


def _pool(view: pools.PoolView) -> reward_pb2.RewardPool:
    p = view.pool
    return reward_pb2.RewardPool(
        pool_id=p.id,
        name=p.name,
        description=p.description,
        segment=p.segment or "",
        cost_token_type=_token_value(p.cost_token_type),
        cost_amount=p.cost_amount,
        active=p.active,
        pity_threshold=p.pity_threshold,
        pity_item_id=p.pity_item_id or 0,
        items=[_item(r, view.odds.get(r.id, 0.0)) for r in view.items],
        created_at=timestamp(p.created_at),
        created_by=p.created_by,
        updated_at=timestamp(p.updated_at),
        updated_by=p.updated_by,
    )


def _draw(d) -> reward_pb2.RewardDraw:
    item = d.item
    return reward_pb2.RewardDraw(
        draw_id=d.id,
        pool_id=d.pool_id,
        user_id=d.user_id,
        item=reward_pb2.RewardItem(
            item_id=d.item_id,
            pool_id=d.pool_id,
            reward_type=reward_pb2.RewardItem.RewardType.Value(item["reward_type"]),
            reward_value=struct(item["reward_value"]),
            meta_json=struct(item.get("meta") or {}),
            active=True,
        ),
        pity=d.pity,
        odds=struct(d.odds),
        cost_entry_id=d.cost_entry_id or 0,
        reward_entry_id=d.reward_entry_id or 0,
        coupon_code=d.coupon_code or "",
        request_id=d.request_id,
        drawn_at=timestamp(d.drawn_at),
    )


def _selection(s) -> reward_pb2.RewardSelection:
    return reward_pb2.RewardSelection(
        selection_id=str(s.id),
        user_id=s.user_id,
        bucket=s.bucket,
        arm=s.arm,
        candidates=list(s.candidates),
        propensity=s.propensity,
        explored=s.explored,
        selected_at=timestamp(s.selected_at),
        converted=s.converted,
        outcome_at=timestamp(s.outcome_at),
    )


def _arm(bucket: str, arm: str, successes: int, failures: int) -> reward_pb2.BanditArm:
    return reward_pb2.BanditArm(
        bucket=bucket, arm=arm, successes=successes, failures=failures, mean=(1 + successes) / (2 + successes + failures)
    )


def _new_item(m) -> pools.NewItem:
    return pools.NewItem(
        reward_type=reward_pb2.RewardItem.RewardType.Name(m.reward_type),
        reward_value=_dict(m.reward_value),
        weight=m.weight,
        quantity=m.quantity if m.HasField("quantity") else None,
        meta=_dict(m.meta_json),
    )


def _pool_fields(r) -> pools.PoolFields:
    return pools.PoolFields(
        name=r.name,
        description=r.description,
        segment=r.segment or None,
        cost_token_type=_token_name(r.cost_token_type),
        cost_amount=r.cost_amount,
        active=r.active if r.HasField("active") else True,
        pity_threshold=r.pity_threshold,
    )


def _optional(r, name: str):
    return getattr(r, name) if r.HasField(name) else None


class RewardServicer(reward_service_pb2_grpc.RewardServiceServicer):
    # ---- wallets
    def GetWallet(self, request, context):
        return _pb.GetWalletResponse(
            wallets=[
                reward_pb2.Wallet(user_id=request.user_id, token_type=_token_value(t), balance=b, updated_at=timestamp(at))
                for t, b, at in service.get_wallet(request.user_id)
            ]
        )

    def ListWalletEntries(self, request, context):
        rows, token = service.list_entries(
            user_id=request.user_id, token_type=_token_name(request.token_type), size=request.page_size, token=request.page_token
        )
        entries = [_entry(r) for r in rows]
        if current_principal().role is Role.USER:
            entries = [ledgers.for_owner(entry) for entry in entries]
        return _pb.ListWalletEntriesResponse(entries=entries, next_page_token=token)

    def GrantTokens(self, request, context):
        e = service.grant(
            request.user_id, _token_name(request.token_type), request.amount, request.reason, ledgers.request_id(request, context),
            current_principal().subject,
        )
        return _pb.GrantTokensResponse(entry=_entry(e))

    def RevokeTokens(self, request, context):
        e = service.revoke(
            request.user_id, _token_name(request.token_type), request.amount, request.reason, ledgers.request_id(request, context),
            current_principal().subject,
        )
        return _pb.RevokeTokensResponse(entry=_entry(e))

    def ListWallets(self, request, context):
        rows, token = service.list_wallets(
            user_id=request.user_id or None,
            token_type=_token_name(request.token_type),
            min_balance=request.min_balance,
            size=request.page_size,
            token=request.page_token,
        )
        return _pb.ListWalletsResponse(
            wallets=[
                reward_pb2.Wallet(user_id=r.user_id, token_type=_token_value(r.token_type), balance=r.balance, updated_at=timestamp(r.updated_at))
                for r in rows
            ],
            next_page_token=token,
        )

    def ListLedgerEntries(self, request, context):
        rows, token = service.list_entries(
            user_id=request.user_id or None,
            token_type=_token_name(request.token_type),
            reason=request.reason or None,
            since=request.since.ToDatetime(tzinfo=UTC) if request.HasField("since") else None,
            until=request.until.ToDatetime(tzinfo=UTC) if request.HasField("until") else None,
            size=request.page_size,
            token=request.page_token,
        )
        return _pb.ListLedgerEntriesResponse(entries=[_entry(r) for r in rows], next_page_token=token)

    # ---- budgets
    def CreateBudget(self, request, context):
        row = service.create_budget(
            reward_pb2.Budget.OwnerKind.Name(request.owner_kind),
            request.owner_id,
            reward_pb2.Budget.Unit.Name(request.unit),
            _token_name(request.token_type),
            _optional(request, "total_limit"),
            _optional(request, "daily_limit"),
            current_principal().subject,
        )
        return _pb.CreateBudgetResponse(budget=_budget(row))

    def UpdateBudget(self, request, context):
        row = service.update_budget(
            request.budget_id, _optional(request, "total_limit"), _optional(request, "daily_limit"), current_principal().subject
        )
        return _pb.UpdateBudgetResponse(budget=_budget(row))

    def ListBudgets(self, request, context):
        kind = reward_pb2.Budget.OwnerKind.Name(request.owner_kind) if request.owner_kind else None
        rows, token = service.list_budgets(kind, request.owner_id or None, request.page_size, request.page_token)
        return _pb.ListBudgetsResponse(budgets=[_budget(r) for r in rows], next_page_token=token)

    def DeleteBudget(self, request, context):
        service.delete_budget(request.budget_id)
        return _pb.DeleteBudgetResponse()

    # ---- pools
    def CreateRewardPool(self, request, context):
        view = pools.create_pool(
            _pool_fields(request),
            [_new_item(i) for i in request.items],
            request.pity_item_index if request.pity_threshold else None,
            current_principal().subject,
        )
        return _pb.CreateRewardPoolResponse(pool=_pool(view))

    def ListRewardPools(self, request, context):
        views, token = pools.list_pools(request.page_size, request.page_token)
        return _pb.ListRewardPoolsResponse(pools=[_pool(v) for v in views], next_page_token=token)

    def UpdateRewardPool(self, request, context):
        view = pools.update_pool(request.pool_id, _pool_fields(request), request.pity_item_id or None, current_principal().subject)
        return _pb.UpdateRewardPoolResponse(pool=_pool(view))

    def DeleteRewardPool(self, request, context):
        pools.delete_pool(request.pool_id, current_principal().subject)
        return _pb.DeleteRewardPoolResponse()

    def AddRewardItem(self, request, context):
        row, p = pools.add_item(request.pool_id, _new_item(request))
        return _pb.AddRewardItemResponse(item=_item(row, p))

    def UpdateRewardItem(self, request, context):
        row, p = pools.update_item(
            request.pool_id,
            request.item_id,
            request.weight,
            _optional(request, "quantity"),
            request.active if request.HasField("active") else True,
        )
        return _pb.UpdateRewardItemResponse(item=_item(row, p))

    def GetRewardPool(self, request, context):
        view, misses = pools.get_pool(request.pool_id, request.user_id)
        return _pb.GetRewardPoolResponse(pool=_pool(view), draws_since_pity_item=misses)

    def OpenRewardPool(self, request, context):
        opened = pools.open_pool(request.pool_id, request.user_id, request.request_id)
        return _pb.OpenRewardPoolResponse(draw=_draw(opened.draw), replayed=opened.replayed)

    def ListRewardDraws(self, request, context):
        rows, token = pools.list_draws(user_id=request.user_id, pool_id=None, size=request.page_size, token=request.page_token)
        return _pb.ListRewardDrawsResponse(draws=[_draw(d) for d in rows], next_page_token=token)

    def ListPoolDraws(self, request, context):
        rows, token = pools.list_draws(
            user_id=request.user_id or None, pool_id=request.pool_id, size=request.page_size, token=request.page_token
        )
        return _pb.ListPoolDrawsResponse(draws=[_draw(d) for d in rows], next_page_token=token)

    # ---- learning selection
    def SelectReward(self, request, context):
        row = selection.select(request.user_id, dict(request.context), list(request.candidates), request.request_id)
        return _pb.SelectRewardResponse(selection=_selection(row))

    def RecordRewardOutcome(self, request, context):
        out = selection.record_outcome(request.selection_id, request.converted)
        s = out.selection
        return _pb.RecordRewardOutcomeResponse(selection=_selection(s), arm=_arm(s.bucket, s.arm, out.successes, out.failures))

    def ListBanditArms(self, request, context):
        bucket, rows, counts = selection.arms(dict(request.context))
        return _pb.ListBanditArmsResponse(
            bucket=bucket, arms=[_arm(r.bucket, r.arm, r.successes, r.failures) for r in rows], selections=counts
        )


def register(server: grpc.Server) -> list:
    reward_service_pb2_grpc.add_RewardServiceServicer_to_server(RewardServicer(), server)
    return [reward_service_pb2.DESCRIPTOR.services_by_name["RewardService"]]
