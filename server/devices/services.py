from ..account_children import AccountChildService
from ..clock import latest_today
from ..errors import ValidationFailed
from ..models import Device


class DeviceService(AccountChildService):
    model = Device
    label = "device"
    default_order = (Device.installed_on,)
    equal_filters = ("account_id", "ownership")

    def validate(self, obj):
        if obj.installed_on is not None and obj.installed_on > latest_today():
            raise ValidationFailed(
                "A machine cannot be installed in the future.", {"installed_on": ["Must not be in the future."]}
            )


devices = DeviceService()
