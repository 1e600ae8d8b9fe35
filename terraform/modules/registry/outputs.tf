output "repository_url" {
  description = "Registry and repository, without a tag: the image name the prod overlay deploys."
  value       = aws_ecr_repository.this.repository_url
}

output "repository_arn" {
  description = "ARN of the repository (push permissions of the CI role)."
  value       = aws_ecr_repository.this.arn
}
