# Staging: the same modules as production at a smaller size. Two zones, one NAT gateway, a
# single-zone database and a cache without replicas; backups and encryption stay on, so staging
# exercises the same restore and TLS paths as production.

locals {
  name        = "taskboard-staging"
  environment = "staging"

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
  az_count           = 2
  single_nat_gateway = true
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
  node_min_size          = 2
  node_desired_size      = 2
  node_max_size          = 4
  tags                   = local.tags
}

module "postgres" {
  # checkov:skip=CKV_AWS_157:Staging runs a single-zone instance to halve its cost; production sets multi_az = true, and staging keeps backups and point-in-time recovery.
  source = "../../modules/postgres"

  identifier                 = local.name
  instance_class             = var.postgres_instance_class
  allocated_storage_gib      = 20
  max_allocated_storage_gib  = 100
  multi_az                   = false
  backup_retention_days      = 7
  deletion_protection        = true
  max_connections            = 200
  vpc_id                     = module.network.vpc_id
  subnet_ids                 = module.network.database_subnet_ids
  allowed_security_group_ids = [module.kubernetes.cluster_security_group_id]
  tags                       = local.tags
}

module "redis" {
  # checkov:skip=CKV2_AWS_50:Staging runs Redis without a replica, so there is nothing to fail over to; production runs two replicas with automatic failover.
  source = "../../modules/redis"

  name                       = local.name
  node_type                  = var.redis_node_type
  multi_az                   = false
  replicas                   = 0
  snapshot_retention_days    = 1
  vpc_id                     = module.network.vpc_id
  subnet_ids                 = module.network.database_subnet_ids
  allowed_security_group_ids = [module.kubernetes.cluster_security_group_id]
  tags                       = local.tags
}

module "registry" {
  source = "../../modules/registry"

  repository_name = "taskboard-staging"
  tags            = local.tags
}

# The Locust image of k8s/loadtest (docs/load-testing.md): load tests run inside the cluster, so
# its nodes pull this image like the application's.
module "loadtest_registry" {
  source = "../../modules/registry"

  repository_name = "taskboard-staging-loadtest"
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

  recovery_window_days = 7
  tags                 = local.tags
}

module "ci_deploy" {
  source = "../../modules/ci_deploy"

  name                   = "${local.name}-github-deploy"
  github_repository      = var.github_repository
  github_environment     = "staging"
  create_oidc_provider   = var.create_github_oidc_provider
  repository_arn         = module.registry.repository_arn
  cluster_name           = module.kubernetes.cluster_name
  cluster_arn            = module.kubernetes.cluster_arn
  secret_read_policy_arn = module.secrets.read_policy_arn
  tags                   = local.tags
}
