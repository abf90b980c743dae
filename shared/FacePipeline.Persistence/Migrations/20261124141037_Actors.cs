using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace FacePipeline.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class Actors : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<Guid>(
                name: "ActorId",
                table: "jobs",
                type: "uuid",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "actors",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    TenantId = table.Column<Guid>(type: "uuid", nullable: false),
                    Name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_actors", x => x.Id);
                    table.ForeignKey(
                        name: "FK_actors_tenants_TenantId",
                        column: x => x.TenantId,
                        principalTable: "tenants",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "actor_models",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    ActorId = table.Column<Guid>(type: "uuid", nullable: false),
                    Version = table.Column<int>(type: "integer", nullable: false),
                    JobId = table.Column<Guid>(type: "uuid", nullable: false),
                    State = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Settings = table.Column<string>(type: "jsonb", nullable: false),
                    Step = table.Column<int>(type: "integer", nullable: false),
                    MaxSteps = table.Column<int>(type: "integer", nullable: false),
                    TrainingSeconds = table.Column<double>(type: "double precision", nullable: false),
                    Metrics = table.Column<string>(type: "jsonb", nullable: true),
                    GeneratorKey = table.Column<string>(type: "text", nullable: false),
                    CheckpointKey = table.Column<string>(type: "text", nullable: false),
                    PreviewKey = table.Column<string>(type: "text", nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    CompletedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_actor_models", x => x.Id);
                    table.ForeignKey(
                        name: "FK_actor_models_actors_ActorId",
                        column: x => x.ActorId,
                        principalTable: "actors",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_jobs_ActorId",
                table: "jobs",
                column: "ActorId");

            migrationBuilder.CreateIndex(
                name: "IX_actor_models_ActorId_Version",
                table: "actor_models",
                columns: new[] { "ActorId", "Version" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_actor_models_JobId",
                table: "actor_models",
                column: "JobId",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_actors_TenantId_CreatedAt",
                table: "actors",
                columns: new[] { "TenantId", "CreatedAt" });

            migrationBuilder.AddForeignKey(
                name: "FK_jobs_actors_ActorId",
                table: "jobs",
                column: "ActorId",
                principalTable: "actors",
                principalColumn: "Id");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "FK_jobs_actors_ActorId",
                table: "jobs");

            migrationBuilder.DropTable(
                name: "actor_models");

            migrationBuilder.DropTable(
                name: "actors");

            migrationBuilder.DropIndex(
                name: "IX_jobs_ActorId",
                table: "jobs");

            migrationBuilder.DropColumn(
                name: "ActorId",
                table: "jobs");
        }
    }
}
