output "role_arn" {
  description = "ARN of the deploy role: set it as the AWS_DEPLOY_ROLE_ARN variable of the GitHub environment."
  value       = aws_iam_role.this.arn
}
