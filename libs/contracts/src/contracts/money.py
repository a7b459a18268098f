"""Money: an integer amount in minor units with an ISO 4217 currency code. Never a float."""

from pydantic import BaseModel, ConfigDict, Field


class Money(BaseModel):
    model_config = ConfigDict(frozen=True)

    amount_minor: int = Field(ge=0, description="Amount in minor units (öre, øre, cent)")
    currency: str = Field(pattern=r"^[A-Z]{3}$", examples=["SEK", "NOK", "EUR"])
