# The AWS side of the Flux environment production: the KMS key its SOPS-encrypted Secrets are
# sealed with, and the IAM role kustomize-controller of cluster prod-eu assumes to decrypt them.
# The policies are the documents of iam/production/, with Terraform's own references.

# The fleet's region; and only this environment's account: run with credentials of another
# account, Terraform stops before it changes anything.
provider "aws" {
  region              = "eu-west-1"
  allowed_account_ids = ["123456789012"]
}

locals {
  # The EKS cluster whose kustomize-controller gets the role, and its ARN (the trust policy's
  # condition: a cluster name is unique only within one account and region).
  cluster_name = "prod-eu"
  cluster_arn  = "arn:aws:eks:eu-west-1:123456789012:cluster/${local.cluster_name}"
  # The key's own ARN: IAM policies name the key itself, not an alias.
  kms_key_arn = aws_kms_key.sops.arn
}

# The environment's own KMS key: SOPS wraps the data key of every file of secrets/production/
# with it. AWS rotates its key material yearly; deleting it waits 30 days, time to cancel
# (without the key, every Secret sealed only with it is lost). The key policy keeps the account
# root in control (IAM policies of the account apply) and lets the environment's role decrypt.
resource "aws_kms_key" "sops" {
  description             = "SOPS key of the Flux environment production (generator-flux-sops)"
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
          AWS = aws_iam_role.kustomize_controller.arn
        }
        Action   = ["kms:Decrypt"]
        Resource = "*"
      },
    ]
  })

  # terraform destroy, or a change that would replace the key, stops here instead of scheduling
  # its deletion. To retire the environment deliberately: set this to false in a reviewed
  # commit, apply, then destroy.
  lifecycle {
    prevent_destroy = true
  }
}

# The name .sops.yaml and iam/production/ use for the key.
resource "aws_kms_alias" "sops" {
  name          = "alias/flux-sops-production"
  target_key_id = aws_kms_key.sops.key_id
}

# The environment's own role: only kustomize-controller (namespace flux-system) of this
# environment's cluster may assume it (trust policy = iam/production/trust-policy.json).
resource "aws_iam_role" "kustomize_controller" {
  name        = "flux-kms-decryptor-production"
  description = "Flux kustomize-controller of EKS cluster prod-eu decrypts the SOPS Secrets of environment production"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid    = "FluxKustomizeControllerPodIdentity"
        Effect = "Allow"
        Principal = {
          Service = "pods.eks.amazonaws.com"
        }
        Action = ["sts:AssumeRole", "sts:TagSession"]
        Condition = {
          StringEquals = {
            "aws:RequestTag/eks-cluster-arn"            = local.cluster_arn
            "aws:RequestTag/kubernetes-namespace"       = "flux-system"
            "aws:RequestTag/kubernetes-service-account" = "kustomize-controller"
          }
        }
      },
    ]
  })
}

# What the role may do: kms:Decrypt on this environment's key only
# (iam/production/kms-decrypt-policy.json, naming the key itself rather than its alias).
resource "aws_iam_role_policy" "kms_decrypt" {
  name = "flux-sops-decrypt"
  role = aws_iam_role.kustomize_controller.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "DecryptFluxSopsSecrets"
        Effect   = "Allow"
        Action   = ["kms:Decrypt"]
        Resource = local.kms_key_arn
      },
    ]
  })
}

# Binds the role to kustomize-controller's ServiceAccount in the cluster (EKS Pod Identity;
# the cluster needs the eks-pod-identity-agent add-on, and the controller a restart).
resource "aws_eks_pod_identity_association" "kustomize_controller" {
  cluster_name    = local.cluster_name
  namespace       = "flux-system"
  service_account = "kustomize-controller"
  role_arn        = aws_iam_role.kustomize_controller.arn
}
