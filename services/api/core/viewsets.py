"""The viewset base of every API resource."""

from rest_framework import viewsets


class ContractViewSet(viewsets.GenericViewSet):
    """The method set of the contract: no PUT, only PATCH; integer ids only."""

    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    lookup_value_converter = "int"
