output "address" {
  description = "Host name of the PostgreSQL endpoint."
  value       = aws_db_instance.this.address
}

output "port" {
  description = "Port of the PostgreSQL endpoint."
  value       = aws_db_instance.this.port
}

output "database_name" {
  description = "Name of the application database."
  value       = aws_db_instance.this.db_name
}

output "username" {
  description = "User the application connects as."
  value       = aws_db_instance.this.username
}

output "password" {
  description = "Password of that user (goes only into the secrets store)."
  value       = random_password.master.result
  sensitive   = true
}

output "security_group_id" {
  description = "Security group of the database."
  value       = aws_security_group.this.id
}
