variable "identifier" {
  description = "RDS instance identifier, e.g. taskboard-prod."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,58}[a-z0-9]$", var.identifier))
    error_message = "identifier must be 4-60 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "engine_version" {
  description = "PostgreSQL version, major or major.minor (the platform is built and tested on 16)."
  type        = string
  default     = "16"

  validation {
    condition     = can(regex("^16(\\.[0-9]+)?$", var.engine_version))
    error_message = "engine_version must be PostgreSQL 16, written 16 or 16.N."
  }
}

variable "instance_class" {
  description = "RDS instance class."
  type        = string
  default     = "db.m7g.large"

  validation {
    condition     = startswith(var.instance_class, "db.")
    error_message = "instance_class must be an RDS class such as db.m7g.large."
  }
}

variable "allocated_storage_gib" {
  description = "Initial storage in GiB (gp3)."
  type        = number
  default     = 50

  validation {
    condition     = var.allocated_storage_gib >= 20 && var.allocated_storage_gib <= 65536
    error_message = "allocated_storage_gib must be between 20 and 65536."
  }
}

variable "max_allocated_storage_gib" {
  description = "Ceiling for storage autoscaling in GiB."
  type        = number
  default     = 200

  validation {
    condition     = var.max_allocated_storage_gib >= 20 && var.max_allocated_storage_gib <= 65536
    error_message = "max_allocated_storage_gib must be between 20 and 65536."
  }
}

variable "multi_az" {
  description = "Run a synchronous standby in a second zone with automatic failover (required in production)."
  type        = bool
  default     = true
}

variable "backup_retention_days" {
  description = "Days of automated backups and point-in-time recovery."
  type        = number
  default     = 14

  validation {
    condition     = var.backup_retention_days >= 7 && var.backup_retention_days <= 35
    error_message = "backup_retention_days must be between 7 and 35."
  }
}

variable "deletion_protection" {
  description = "Refuse to delete the instance until this is switched off."
  type        = bool
  default     = true
}

variable "database_name" {
  description = "Name of the application database."
  type        = string
  default     = "taskboard"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,62}$", var.database_name))
    error_message = "database_name must be a lowercase PostgreSQL identifier."
  }
}

variable "master_username" {
  description = "Name of the master user the application connects as."
  type        = string
  default     = "taskboard"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,15}$", var.master_username)) && !contains(["postgres", "admin", "rdsadmin"], var.master_username)
    error_message = "master_username must be a lowercase identifier of at most 16 characters and not a reserved name."
  }
}

variable "max_connections" {
  description = "PostgreSQL max_connections: pods x processes x DB_POOL_MAX_SIZE plus headroom (docs/scaling.md)."
  type        = number
  default     = 400

  validation {
    condition     = var.max_connections >= 100 && var.max_connections <= 5000
    error_message = "max_connections must be between 100 and 5000."
  }
}

variable "vpc_id" {
  description = "VPC of the database security group."
  type        = string
}

variable "subnet_ids" {
  description = "Isolated database subnets in at least two zones."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "subnet_ids must name subnets in at least two availability zones."
  }
}

variable "allowed_security_group_ids" {
  description = "Security groups allowed to connect on 5432 (the cluster's)."
  type        = list(string)
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
