output "secret_arn" {
  description = "ARN of the application secret."
  value       = aws_secretsmanager_secret.app.arn
}

output "secret_name" {
  description = "Name of the application secret (k8s/scripts/sync-secrets.sh reads it)."
  value       = aws_secretsmanager_secret.app.name
}

output "read_policy_arn" {
  description = "IAM policy that allows reading and decrypting the secret."
  value       = aws_iam_policy.read.arn
}
