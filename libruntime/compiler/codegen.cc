// SPDX-License-Identifier: MIT
//
// The one C++ file: libclang's C API can parse but cannot emit code, so the
// final compile drives clang's CompilerInstance directly. Everything stays in
// memory: inputs are remapped buffers, the object goes to a vector.

#include "compiler/codegen.h"
#include "compiler/clang_args.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <clang/Basic/Diagnostic.h>
#include <clang/Basic/DiagnosticOptions.h>
#include <clang/Basic/FileManager.h>
#include <clang/Basic/SourceManager.h>
#include <clang/Basic/TargetInfo.h>
#include <clang/CodeGen/BackendUtil.h>
#include <clang/CodeGen/CodeGenAction.h>
#include <clang/Frontend/CompilerInstance.h>
#include <clang/Frontend/CompilerInvocation.h>
#include <clang/Frontend/FrontendActions.h>
#include <clang/Frontend/TextDiagnosticPrinter.h>
#include <clang/Lex/PreprocessorOptions.h>
#include <llvm/ADT/SmallVector.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>

extern "C" {
void LLVMInitializeBPFTargetInfo(void);
void LLVMInitializeBPFTarget(void);
void LLVMInitializeBPFTargetMC(void);
void LLVMInitializeBPFAsmPrinter(void);
}

namespace
{

char *dup_string(const std::string &s)
{
	char *p = static_cast<char *>(std::malloc(s.size() + 1));
	if (p)
		std::memcpy(p, s.c_str(), s.size() + 1);
	return p;
}

void init_bpf_target()
{
	static std::once_flag once;
	std::call_once(once, [] {
		LLVMInitializeBPFTargetInfo();
		LLVMInitializeBPFTarget();
		LLVMInitializeBPFTargetMC();
		LLVMInitializeBPFAsmPrinter();
	});
}

} // namespace

namespace
{

// Serve file f as addRemappedFile() would, with its line table known: the
// source manager computes one by scanning the whole text the first time a
// location in the file is turned into a line. The file and source managers
// are made here; the action uses them.
void serve_with_lines(clang::CompilerInstance &ci, const ember_virtual_file &f,
		      const ember_codegen_lines &lines,
		      llvm::BumpPtrAllocator &storage)
{
	clang::FileManager *fm = ci.createFileManager();
	ci.createSourceManager(*fm);
	clang::SourceManager &sm = ci.getSourceManager();
	const clang::FileEntry *entry = fm->getVirtualFile(f.path, f.len, 0);

	sm.overrideFileContents(
		entry,
		llvm::MemoryBufferRef(llvm::StringRef(f.text, f.len), f.path));
	for (auto it = sm.fileinfo_begin(); it != sm.fileinfo_end(); ++it)
		if (it->first == entry)
			it->second->SourceLineCache =
				clang::SrcMgr::LineOffsetMapping(
					llvm::makeArrayRef(lines.starts,
							   lines.cnt),
					storage);
}

// What a compile leaves: its compiler instance, and its action with the
// LLVM context and module. Freeing them is a tenth of a compile that gives
// many kernel types debug info (task_struct: ~10 ms), and the copy that
// compiled exits once it has answered (compiler_server.c): they are kept,
// reachable, until the next compile or ember__codegen_release().
struct remains {
	// in the order they may be freed: the line table's storage, which
	// the source manager only points to, last
	std::unique_ptr<llvm::BumpPtrAllocator> lines_storage;
	std::unique_ptr<clang::FrontendAction> action;
	std::unique_ptr<clang::CompilerInstance> ci;
};

// never freed at exit: the copy's exit does not free its memory either
remains &last_compile()
{
	static remains *last = new remains();

	return *last;
}

// Runs one clang action over the inputs; diagnostics text goes to *diags.
// With keep, what the compile leaves goes there instead of being freed.
bool run_clang(const struct ember_codegen_input *in, const char *triple,
	       const char *language, clang::FrontendAction &action,
	       const char *output_file, llvm::SmallVectorImpl<char> *object,
	       std::string *diag_out, remains *keep = nullptr)
{
	// cc1 arguments in step with the parse's (compiler/clang_args.h): a
	// PCH is only accepted by a compile with the same language and target.
	const char *base[EMBER_CLANG_ARGS_MAX];
	std::vector<const char *> args(
		base, base + ember__clang_cc1_args(base, triple));

	for (size_t i = 0; i < in->args_cnt; i++)
		args.push_back(in->args[i]);
	args.push_back("-x");
	args.push_back(language);
	args.push_back(in->main_path);

	std::string diag_text;
	llvm::raw_string_ostream diag_os(diag_text);
	llvm::IntrusiveRefCntPtr<clang::DiagnosticOptions> diag_opts(
		new clang::DiagnosticOptions());
	diag_opts->ShowColors = false;
	diag_opts->ShowCarets = false;
	diag_opts->ShowOptionNames = true;

	auto invocation = std::make_shared<clang::CompilerInvocation>();
	{
		clang::TextDiagnosticPrinter printer(diag_os, diag_opts.get());
		llvm::IntrusiveRefCntPtr<clang::DiagnosticIDs> ids(
			new clang::DiagnosticIDs());
		clang::DiagnosticsEngine arg_diags(ids, diag_opts, &printer,
						   false);
		if (!clang::CompilerInvocation::CreateFromArgs(
			    *invocation, args, arg_diags)) {
			diag_os.flush();
			*diag_out += diag_text;
			return false;
		}
	}

	clang::PreprocessorOptions &pp = invocation->getPreprocessorOpts();
	pp.RetainRemappedFileBuffers = false;
	// Buffers are NUL-terminated and outlive the compile: no copies.
	pp.addRemappedFile(in->main_path,
			   llvm::MemoryBuffer::getMemBuffer(
				   llvm::StringRef(in->main_text, in->main_len),
				   in->main_path)
				   .release());
	const ember_virtual_file *lined = nullptr;
	for (size_t i = 0; i < in->files_cnt; i++) {
		const ember_virtual_file &f = in->files[i];
		if (in->lines && !std::strcmp(f.path, in->lines->path)) {
			lined = &f; // below, with its lines
			continue;
		}
		pp.addRemappedFile(
			f.path, llvm::MemoryBuffer::getMemBuffer(
					llvm::StringRef(f.text, f.len), f.path)
					.release());
	}
	invocation->getFrontendOpts().OutputFile = output_file;
	invocation->getFrontendOpts().DisableFree = false;

	// the line table's storage, which the source manager only points to:
	// declared before it, released after it
	auto lines_storage = std::make_unique<llvm::BumpPtrAllocator>();
	auto ci = std::make_unique<clang::CompilerInstance>();
	ci->setInvocation(std::move(invocation));
	ci->createDiagnostics(
		new clang::TextDiagnosticPrinter(diag_os, diag_opts.get()),
		true);
	if (lined)
		serve_with_lines(*ci, *lined, *in->lines, *lines_storage);
	// clang prints "N warnings generated." there; the library prints nothing
	ci->setVerboseOutputStream(llvm::nulls());
	if (object)
		ci->setOutputStream(
			std::make_unique<llvm::raw_svector_ostream>(*object));

	bool ok = ci->ExecuteAction(action) &&
		  !ci->getDiagnostics().hasErrorOccurred();
	diag_os.flush();
	*diag_out += diag_text;
	if (keep) {
		// nothing of it may point to this frame's streams
		ci->takeOutputStream();
		ci->getDiagnostics().setClient(
			new clang::IgnoringDiagConsumer(), true);
		keep->ci = std::move(ci);
		keep->lines_storage = std::move(lines_storage);
	}
	return ok;
}

// Host triple: parse to IR for the host (run_clang), then give the module
// the bpf triple, data layout and CPU and run clang's backend pipeline on
// it, as `clang -emit-llvm | llc -march=bpf` does.
bool host_ir_to_bpf(const struct ember_codegen_input *in,
		    llvm::SmallVectorImpl<char> *object, std::string *diag_out)
{
	llvm::LLVMContext ctx;
	clang::EmitLLVMOnlyAction ir_action(&ctx);

	if (!run_clang(in, in->host_triple, "c", ir_action, "-", nullptr,
		       diag_out))
		return false;
	std::unique_ptr<llvm::Module> mod = ir_action.takeModule();
	if (!mod)
		return false;

	// The bpf side's options, from the arguments a bpf compile would get.
	const char *base[EMBER_CLANG_ARGS_MAX];
	std::vector<const char *> args(
		base, base + ember__clang_cc1_backend_args(base));
	args.insert(args.end(), { "-x", "ir", in->main_path });
	std::string diag_text;
	llvm::raw_string_ostream diag_os(diag_text);
	llvm::IntrusiveRefCntPtr<clang::DiagnosticOptions> diag_opts(
		new clang::DiagnosticOptions());
	diag_opts->ShowColors = false;
	clang::TextDiagnosticPrinter printer(diag_os, diag_opts.get());
	llvm::IntrusiveRefCntPtr<clang::DiagnosticIDs> ids(
		new clang::DiagnosticIDs());
	clang::DiagnosticsEngine diags(ids, diag_opts, &printer, false);
	clang::CompilerInvocation inv;
	bool ok = clang::CompilerInvocation::CreateFromArgs(inv, args, diags);
	std::unique_ptr<clang::TargetInfo> target;

	if (ok) {
		auto topts = std::make_shared<clang::TargetOptions>(
			inv.getTargetOpts());
		target.reset(clang::TargetInfo::CreateTargetInfo(diags, topts));
		ok = target != nullptr;
	}
	if (ok) {
		llvm::StringRef layout = target->getDataLayoutString();

		mod->setTargetTriple("bpf");
		mod->setDataLayout(layout);
		// the host's CPU and features mean nothing to the BPF backend
		for (llvm::Function &fn : *mod) {
			fn.removeFnAttr("target-cpu");
			fn.removeFnAttr("target-features");
			fn.removeFnAttr("tune-cpu");
		}
		clang::EmitBackendOutput(
			diags, inv.getHeaderSearchOpts(), inv.getCodeGenOpts(),
			inv.getTargetOpts(), *inv.getLangOpts(), layout,
			mod.get(), clang::Backend_EmitObj,
			std::make_unique<llvm::raw_svector_ostream>(*object));
		ok = !diags.hasErrorOccurred();
	}
	diag_os.flush();
	*diag_out += diag_text;
	return ok;
}

} // namespace

extern "C" int ember__codegen_line_starts(const char *text, size_t len,
					  unsigned int **starts, size_t *cnt)
{
	llvm::BumpPtrAllocator storage;
	clang::SrcMgr::LineOffsetMapping lines =
		clang::SrcMgr::LineOffsetMapping::get(
			llvm::MemoryBufferRef(llvm::StringRef(text, len), ""),
			storage);
	llvm::ArrayRef<unsigned> all = lines.getLines();

	*cnt = all.size();
	*starts = static_cast<unsigned int *>(
		std::malloc((all.size() ?: 1) * sizeof(**starts)));
	if (!*starts)
		return -ENOMEM;
	std::memcpy(*starts, all.data(), all.size() * sizeof(**starts));
	return 0;
}

extern "C" void ember__codegen_prepare(void)
{
	init_bpf_target();
}

extern "C" void ember__codegen_release(void)
{
	last_compile() = remains();
}

extern "C" int ember__codegen_bpf(const struct ember_codegen_input *in,
				  void **obj, size_t *obj_len, char **diags)
{
	llvm::SmallVector<char, 0> object;
	std::string diag_text;
	bool ok;

	ember__codegen_release();
	init_bpf_target();
	*obj = nullptr;
	*obj_len = 0;
	*diags = nullptr;
	if (in->host_triple) {
		ok = host_ir_to_bpf(in, &object, &diag_text);
	} else {
		remains keep;

		keep.action = std::make_unique<clang::EmitObjAction>();
		ok = run_clang(in, "bpf", "c", *keep.action, "-", &object,
			       &diag_text, &keep);
		last_compile() = std::move(keep);
	}
	*diags = dup_string(diag_text);
	if (!ok || object.empty())
		return -EINVAL;
	*obj = std::malloc(object.size());
	if (!*obj)
		return -ENOMEM;
	std::memcpy(*obj, object.data(), object.size());
	*obj_len = object.size();
	return 0;
}

extern "C" int ember__codegen_pch(const struct ember_codegen_input *in,
				  const char *path, char **diags)
{
	clang::GeneratePCHAction action;
	std::string diag_text;
	bool ok;

	init_bpf_target();
	// clang writes a temporary file beside path and renames it into place
	// only when the PCH is complete.
	ok = run_clang(in, "bpf", "c-header", action, path, nullptr,
		       &diag_text);
	*diags = dup_string(diag_text);
	return ok ? 0 : -EINVAL;
}
