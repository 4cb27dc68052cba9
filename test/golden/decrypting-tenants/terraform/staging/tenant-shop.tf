# Tenant shop in the Flux environment staging: its own KMS key, and the IAM role its
# ServiceAccount flux-sops-decryptor (namespace shop) assumes when kustomize-controller decrypts
# the tenant's own SOPS files (object-level workload identity: web identity through the cluster's
# IAM OIDC provider). The policies are the documents of iam/staging/tenant-shop/.
# Removing the tenant removes this file: the next terraform apply deletes the role and schedules
# the key's deletion (a deleted block no longer protects its resource).

# The tenant's own KMS key: its .sops.yaml (tenants/shop.sops.yaml) seals its files for staging with it.
# Rotated yearly; deleting it waits 30 days. The key policy keeps the account root in control and
# lets the tenant's role decrypt.
resource "aws_kms_key" "tenant_shop" {
  description             = "SOPS key of tenant shop in the Flux environment staging (generator-flux-sops)"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid    = "AccountRootFullControl"
        Effect = "Allow"
        Principal = {
          AWS = "arn:aws:iam::123456789012:root"
        }
        Action   = "kms:*"
        Resource = "*"
      },
      {
        Sid    = "FluxRoleDecrypts"
        Effect = "Allow"
        Principal = {
          AWS = aws_iam_role.tenant_shop.arn
        }
        Action   = ["kms:Decrypt"]
        Resource = "*"
      },
    ]
  })

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_kms_alias" "tenant_shop" {
  name          = "alias/flux-sops/staging/shop"
  target_key_id = aws_kms_key.tenant_shop.key_id
}

# The tenant's role: only flux-sops-decryptor of namespace shop on cluster staging may
# assume it (trust policy = iam/staging/tenant-shop/trust-policy.json).
resource "aws_iam_role" "tenant_shop" {
  name        = "flux-kms-decryptor-staging-shop"
  description = "Flux kustomize-controller decrypts the SOPS files of tenant shop in environment staging as shop/flux-sops-decryptor"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid    = "FluxSopsTenantDecryptor"
        Effect = "Allow"
        Principal = {
          Federated = data.aws_iam_openid_connect_provider.cluster.arn
        }
        Action = "sts:AssumeRoleWithWebIdentity"
        Condition = {
          StringEquals = {
            "${local.oidc_issuer}:aud" = "sts.amazonaws.com"
            "${local.oidc_issuer}:sub" = "system:serviceaccount:shop:flux-sops-decryptor"
          }
        }
      },
    ]
  })
}

# What the role may do: kms:Decrypt on the tenant's key in staging only.
resource "aws_iam_role_policy" "tenant_shop_decrypt" {
  name = "flux-sops-decrypt"
  role = aws_iam_role.tenant_shop.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "DecryptFluxSopsSecrets"
        Effect   = "Allow"
        Action   = ["kms:Decrypt"]
        Resource = aws_kms_key.tenant_shop.arn
      },
    ]
  })
}

output "tenant_shop_role_arn" {
  description = "ARN of the IAM role of tenant shop's flux-sops-decryptor in this environment"
  value       = aws_iam_role.tenant_shop.arn
}

output "tenant_shop_kms_key_arn" {
  description = "ARN of tenant shop's KMS key in this environment (the key, not an alias)"
  value       = aws_kms_key.tenant_shop.arn
}
