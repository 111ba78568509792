"""The services this build serves, by name. A later service adds one line here."""

SERVICES: dict[str, str] = {
    "activity": "services.activity.servicer",
    "segmentation": "services.segmentation.servicer",
    "reward": "services.reward.servicer",
    "coupon": "services.coupon.servicer",
    "loyalty": "services.loyalty.servicer",
    "campaign": "services.campaign.servicer",
}
