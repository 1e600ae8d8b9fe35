output "primary_endpoint_address" {
  description = "Host name of the primary (read-write) endpoint."
  value       = aws_elasticache_replication_group.this.primary_endpoint_address
}

output "port" {
  description = "Port of the Redis endpoints."
  value       = aws_elasticache_replication_group.this.port
}

output "auth_token" {
  description = "AUTH token (goes only into the secrets store)."
  value       = random_password.auth_token.result
  sensitive   = true
}

output "security_group_id" {
  description = "Security group of the cache."
  value       = aws_security_group.this.id
}
