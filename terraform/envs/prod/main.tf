# Production: three zones, a NAT gateway per zone, Multi-AZ PostgreSQL with 30 days of
# point-in-time recovery, Redis with a replica in another zone, and deletion protection.

locals {
  name        = "taskboard-prod"
  environment = "prod"

  tags = {
    Project     = "taskboard"
    Environment = local.environment
    ManagedBy   = "terraform"
  }
}

module "network" {
  source = "../../modules/network"

  name               = local.name
  cidr_block         = var.vpc_cidr
  az_count           = 3
  single_nat_gateway = false
  cluster_name       = local.name
  tags               = local.tags
}

module "kubernetes" {
  source = "../../modules/kubernetes"

  cluster_name           = local.name
  kubernetes_version     = var.kubernetes_version
  subnet_ids             = module.network.private_subnet_ids
  endpoint_public_access = true
  public_access_cidrs    = var.api_public_access_cidrs
  node_instance_types    = var.node_instance_types
  node_min_size          = 3
  node_desired_size      = 3
  node_max_size          = 12
  tags                   = local.tags
}

module "postgres" {
  source = "../../modules/postgres"

  identifier                 = local.name
  instance_class             = var.postgres_instance_class
  allocated_storage_gib      = 100
  max_allocated_storage_gib  = 1000
  multi_az                   = true
  backup_retention_days      = 30
  deletion_protection        = true
  max_connections            = 800
  vpc_id                     = module.network.vpc_id
  subnet_ids                 = module.network.database_subnet_ids
  allowed_security_group_ids = [module.kubernetes.cluster_security_group_id]
  tags                       = local.tags
}

module "redis" {
  source = "../../modules/redis"

  name                       = local.name
  node_type                  = var.redis_node_type
  multi_az                   = true
  replicas                   = 2
  snapshot_retention_days    = 7
  vpc_id                     = module.network.vpc_id
  subnet_ids                 = module.network.database_subnet_ids
  allowed_security_group_ids = [module.kubernetes.cluster_security_group_id]
  tags                       = local.tags
}

module "registry" {
  source = "../../modules/registry"

  repository_name = "taskboard"
  tags            = local.tags
}

# The Locust image of k8s/loadtest (docs/load-testing.md): load tests run inside the cluster, so
# its nodes pull this image like the application's.
module "loadtest_registry" {
  source = "../../modules/registry"

  repository_name = "taskboard-loadtest"
  tags            = local.tags
}

module "secrets" {
  source = "../../modules/secrets"

  name = "taskboard/${local.environment}/app"

  database = {
    host     = module.postgres.address
    port     = module.postgres.port
    name     = module.postgres.database_name
    username = module.postgres.username
    password = module.postgres.password
  }

  redis = {
    host       = module.redis.primary_endpoint_address
    port       = module.redis.port
    auth_token = module.redis.auth_token
    database   = 0
  }

  tags = local.tags
}

module "ci_deploy" {
  source = "../../modules/ci_deploy"

  name                   = "${local.name}-github-deploy"
  github_repository      = var.github_repository
  github_environment     = "production"
  create_oidc_provider   = var.create_github_oidc_provider
  repository_arn         = module.registry.repository_arn
  cluster_name           = module.kubernetes.cluster_name
  cluster_arn            = module.kubernetes.cluster_arn
  secret_read_policy_arn = module.secrets.read_policy_arn
  tags                   = local.tags
}
