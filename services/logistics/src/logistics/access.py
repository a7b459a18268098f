"""Who may use logistics: prescribers and aid-centre staff (SITHS logins), admins; the aid centre alone
for its own tasks (the catalogue, news, receiving replenishments)."""

from typing import Annotated

from fastapi import Depends

from kit.auth import Principal, require_roles

Staff = Annotated[Principal, Depends(require_roles("prescriber", "aid_centre_staff", "admin"))]
AidCentre = Annotated[Principal, Depends(require_roles("aid_centre_staff", "admin"))]
