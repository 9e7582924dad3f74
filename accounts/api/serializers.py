from rest_framework import serializers

from accounts.models import Notification, User


class UserSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField(help_text="Full name, or the username if none.")
    team_name = serializers.CharField(source="team.name", read_only=True, allow_null=True)

    class Meta:
        model = User
        fields = ["id", "username", "name", "email", "role", "team", "team_name", "time_zone"]
        read_only_fields = fields

    def get_name(self, user: User) -> str:
        return str(user)


class NotificationSerializer(serializers.ModelSerializer):
    is_read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "message", "url", "created_at", "read_at", "is_read"]
        read_only_fields = fields

    def get_is_read(self, notification: Notification) -> bool:
        return notification.read_at is not None


class ReadAllResultSerializer(serializers.Serializer):
    marked_read = serializers.IntegerField(help_text="How many unread notifications were marked.")
