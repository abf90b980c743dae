using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace FacePipeline.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class RetentionAndDeletions : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "FK_jobs_actors_ActorId",
                table: "jobs");

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "MediaDeletedAt",
                table: "jobs",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "WorkingDataDeletedAt",
                table: "jobs",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "deletions",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn),
                    TenantId = table.Column<Guid>(type: "uuid", nullable: false),
                    Subject = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    SubjectId = table.Column<Guid>(type: "uuid", nullable: false),
                    JobKind = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                    ActorId = table.Column<Guid>(type: "uuid", nullable: true),
                    Reason = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    DeletedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    Files = table.Column<int>(type: "integer", nullable: false),
                    Bytes = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_deletions", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_jobs_retention",
                table: "jobs",
                column: "CompletedAt",
                filter: "\"MediaDeletedAt\" IS NULL AND \"CompletedAt\" IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "IX_deletions_DeletedAt",
                table: "deletions",
                column: "DeletedAt");

            migrationBuilder.CreateIndex(
                name: "IX_deletions_TenantId_SubjectId",
                table: "deletions",
                columns: new[] { "TenantId", "SubjectId" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "deletions");

            migrationBuilder.DropIndex(
                name: "IX_jobs_retention",
                table: "jobs");

            migrationBuilder.DropColumn(
                name: "MediaDeletedAt",
                table: "jobs");

            migrationBuilder.DropColumn(
                name: "WorkingDataDeletedAt",
                table: "jobs");

            migrationBuilder.AddForeignKey(
                name: "FK_jobs_actors_ActorId",
                table: "jobs",
                column: "ActorId",
                principalTable: "actors",
                principalColumn: "Id");
        }
    }
}
