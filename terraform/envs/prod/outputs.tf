output "k8s_overlay_env" {
  description = "Values the prod overlay consumes, written to k8s/overlays/prod/terraform-outputs.env by k8s/scripts/terraform-outputs.sh."
  value = {
    AWS_REGION       = var.region
    EKS_CLUSTER_NAME = module.kubernetes.cluster_name
    IMAGE_REPOSITORY = module.registry.repository_url
    APP_SECRET_NAME  = module.secrets.secret_name
    APP_HOSTNAME     = var.app_hostname
    VPC_CIDR         = module.network.vpc_cidr_block
  }
}

output "cluster_name" {
  description = "EKS cluster name (aws eks update-kubeconfig --name ...)."
  value       = module.kubernetes.cluster_name
}

output "cluster_endpoint" {
  description = "Kubernetes API server URL."
  value       = module.kubernetes.cluster_endpoint
}

output "image_repository" {
  description = "ECR repository URL the pipeline pushes to."
  value       = module.registry.repository_url
}

output "app_secret_name" {
  description = "Secrets Manager secret holding DJANGO_SECRET_KEY, DATABASE_URL and REDIS_URL."
  value       = module.secrets.secret_name
}

output "deploy_role_arn" {
  description = "Role the GitHub deploy job assumes (AWS_DEPLOY_ROLE_ARN of the production environment)."
  value       = module.ci_deploy.role_arn
}

output "postgres_address" {
  description = "PostgreSQL endpoint host."
  value       = module.postgres.address
}

output "redis_primary_endpoint" {
  description = "Redis primary endpoint host."
  value       = module.redis.primary_endpoint_address
}

output "loadtest_repository_url" {
  description = "Repository of the Locust image that k8s/loadtest runs (push it, then set its image)."
  value       = module.loadtest_registry.repository_url
}
