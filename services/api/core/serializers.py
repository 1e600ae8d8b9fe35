"""Serializer bases every API input goes through: unknown, read-only and mistyped fields are
refused rather than ignored."""

from typing import Any

from rest_framework import serializers


def _text_problem(field: serializers.Field, value: Any) -> str | None:
    """What is wrong with a text field's raw value, before DRF coerces and trims it: DRF turns
    0 or true into "0" or "True" (a client sending a number where the contract says string has a
    bug worth hearing about), and measures the length after trimming whitespace, so the
    contract's maxLength would not hold for the value as sent."""
    if not isinstance(field, serializers.CharField) or value is None:
        return None
    if not isinstance(value, str):
        return "Not a valid string."
    if field.max_length is not None and len(value) > field.max_length:
        return f"Ensure this field has no more than {field.max_length} characters."
    return None


class StrictSerializer(serializers.Serializer):
    """Rejects fields it does not know instead of ignoring them (mass assignment, typos)."""

    def to_internal_value(self, data: Any) -> Any:
        errors: dict[str, Any] = {}
        if isinstance(data, dict):
            known = set(self.fields)
            errors.update({name: ["Unknown field."] for name in sorted(set(data) - known)})
            errors.update(
                {
                    name: ["This field is read-only."]
                    for name in sorted(set(data) & known)
                    if self.fields[name].read_only
                }
            )
            errors.update(
                {
                    name: [problem]
                    for name in sorted(set(data) & known)
                    if (problem := _text_problem(self.fields[name], data[name]))
                }
            )
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if not errors or not isinstance(exc.detail, dict):
                raise
            raise serializers.ValidationError({**exc.detail, **errors}) from None
        if errors:
            raise serializers.ValidationError(errors)
        return value


class StrictModelSerializer(StrictSerializer, serializers.ModelSerializer):
    pass
